// Package meta holds what every certflow resource shares: ObjectMeta, references
// between objects, conditions and events. It is the leaf of the import graph: it
// imports nothing from certflow, and every other package may import it.
package meta
