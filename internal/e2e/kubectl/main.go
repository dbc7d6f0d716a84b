// Command kubectl is upstream kubectl, built from the module graph Slipway already has
// (through Helm), so that the tests check interop with a real kubectl on any machine.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	os.Exit(cli.Run(cmd.NewDefaultKubectlCommand()))
}
