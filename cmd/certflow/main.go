// Command certflow inspects and drives the certificates of a certflow
// Store with cmctl's verbs and kubectl's habits: get, describe, status,
// renew, approve, deny, inspect secret, apply, delete, check and create
// certificaterequest. Run `certflow --help` for the list and the exit
// statuses; package cli holds the command.
//
//	go install github.com/certflow/certflow/cmd/certflow@latest
package main

import (
	"os"

	"github.com/certflow/certflow/cmd/certflow/cli"
)

func main() { os.Exit(cli.Main(cli.DefaultStores())) }
