package certflow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// TestSecretNameIndex_AgreesWithAModel: labelling, relabelling, unlabelling
// and forgetting Certificates at random, with names and labels long enough
// that the index's table compacts both again and again, names for every
// namespace and label exactly the Certificates a plain model does, in the
// order they were labelled, after every step.
func TestSecretNameIndex_AgreesWithAModel(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	rng := rand.New(rand.NewPCG(31, 32))
	const certs, namespaces, labels = 120, 3, 8
	type key struct{ ns, label string }
	// Names, labels and namespaces made once: formatting them at every
	// step and check cost more, under the race detector, than the index's
	// work on them.
	names, labelTexts, nsNames := make([]string, certs), make([]string, labels), make([]string, namespaces)
	for i := range names {
		names[i] = fmt.Sprintf("c%d-%s", i, strings.Repeat("n", 50+i*13%200))
	}
	for j := range labelTexts {
		labelTexts[j] = fmt.Sprintf("secret-%d-%s", j, strings.Repeat("s", 100+j*37%300))
	}
	for ns := range nsNames {
		nsNames[ns] = fmt.Sprint("ns-", ns)
	}
	nameOf := func(i int) string { return names[i] }
	labelOf := func(j int) string { return labelTexts[j] }
	nsOf := func(i int) string { return nsNames[i%namespaces] }
	var x secretNameIndex
	labelled := map[int]string{} // Certificate → its label
	named := map[key][]string{}  // in the order labelled
	unname := func(i int) {
		if l, ok := labelled[i]; ok {
			k := key{nsOf(i), l}
			named[k] = slices.DeleteFunc(named[k], func(n string) bool { return n == nameOf(i) })
			delete(labelled, i)
		}
	}
	compactions := 0
	for step := range 6000 {
		i := rng.IntN(certs)
		ref := meta.Ref{Kind: meta.KindCertificate, Namespace: nsOf(i), Name: nameOf(i)}
		dead, textsDead := x.labelOf.names.dead, x.labelOf.texts.dead
		switch k := rng.IntN(10); {
		case k < 6:
			l := labelOf(rng.IntN(labels))
			x.set(ref, map[string]string{certificate.LabelSecretName: l, "other": "x"})
			if labelled[i] != l {
				unname(i)
				labelled[i] = l
				named[key{nsOf(i), l}] = append(named[key{nsOf(i), l}], nameOf(i))
			}
		case k < 8:
			x.set(ref, map[string]string{"other": "x"})
			unname(i)
		default:
			x.forget(ref)
			unname(i)
		}
		if x.labelOf.names.dead < dead || x.labelOf.texts.dead < textsDead {
			compactions++
		}
		for ns := range namespaces {
			for j := range labels {
				k := key{nsNames[ns], labelOf(j)}
				if got := x.named(k.ns, k.label); !slices.Equal(got, named[k]) {
					t.Fatalf("step %d: %s/secret-%d names %d Certificates, want %d (or in another order)", step, k.ns, j, len(got), len(named[k]))
				}
			}
		}
	}
	if compactions < 3 {
		t.Fatalf("the table compacted %d times: too few to test it", compactions)
	}
}
