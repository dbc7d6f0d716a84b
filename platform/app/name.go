package app

import "fmt"

// CheckName says whether name can be an app's name: a DNS label of at most MaxNameLength
// characters, as the name of Kubernetes objects and Helm releases need.
func CheckName(name string) error {
	if !dnsLabel.MatchString(name) || len(name) > MaxNameLength {
		return fmt.Errorf("app name %q is not usable in Kubernetes: use lowercase letters, digits and '-', at most %d characters, starting and ending with a letter or digit", name, MaxNameLength)
	}
	return nil
}
