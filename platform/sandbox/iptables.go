package sandbox

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// execCommand is exec.CommandContext (a seam for the sweep's tests).
var execCommand = exec.CommandContext

// sweepIptables removes the real node's iptables rules in one family ("iptables" or
// "ip6tables"): every KUBE-* chain (the kubelet's and kube-proxy's: the real node is this
// machine's only Kubernetes node), the rules the CNI plugins made for the sandbox's network
// (named in their comments, or matching its bridge or subnet) with the chains they jump to,
// and the CNI plugins' shared chains once nothing else uses them.
func sweepIptables(ctx context.Context, family string) error {
	if _, err := sysproc.Look(family + "-save"); err != nil {
		if family == "ip6tables" {
			return nil
		}
		return err
	}
	save, err := outputSystem(ctx, family+"-save")
	if err != nil {
		if family == "ip6tables" {
			return nil // no IPv6 on this machine
		}
		return fmt.Errorf("read the %s rules: %w", family, err)
	}
	script := sweepScript(string(save))
	if script == "" {
		return nil
	}
	bin, err := sysproc.Look(family + "-restore")
	if err != nil {
		return err
	}
	cmd := execCommand(ctx, bin, "--noflush", "-w", "10")
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = sysproc.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("remove the sandbox's %s rules: %w: %s", family, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// iptTable is one table of iptables-save's output.
type iptTable struct {
	name   string
	chains []string            // in order
	rules  map[string][]string // chain → its rules' arguments (after "-A CHAIN ")
	order  []iptRule
}

type iptRule struct{ chain, args string }

// parseIptablesSave reads iptables-save's output.
func parseIptablesSave(save string) []*iptTable {
	var tables []*iptTable
	var t *iptTable
	for _, line := range strings.Split(save, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			t = &iptTable{name: line[1:], rules: map[string][]string{}}
			tables = append(tables, t)
		case t == nil:
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(line[1:]); len(f) > 0 {
				t.chains = append(t.chains, f[0])
			}
		case strings.HasPrefix(line, "-A "):
			rest := line[3:]
			chain, args, _ := strings.Cut(rest, " ")
			t.rules[chain] = append(t.rules[chain], args)
			t.order = append(t.order, iptRule{chain, args})
		}
	}
	return tables
}

// cniSharedChains are created by the portmap and firewall plugins for every network; the
// true ones hold rules for one network's pods, the others fixed rules.
var cniSharedChains = map[string]bool{
	"CNI-HOSTPORT-DNAT": true, "CNI-HOSTPORT-SNAT": true, "CNI-FORWARD": true, "CNI-ADMIN": true,
	"CNI-HOSTPORT-MASQ": false, "CNI-HOSTPORT-SETMARK": false,
}

func isCNIShared(chain string) bool { _, ok := cniSharedChains[chain]; return ok }

// ruleTarget returns the chain a rule jumps or goes to.
func ruleTarget(args string) string {
	f := strings.Fields(args)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-j" || f[i] == "-g" || f[i] == "--jump" || f[i] == "--goto" {
			return f[i+1]
		}
	}
	return ""
}

// sandboxRule tells whether a rule outside the sandbox's chains is the sandbox's: it names
// the network in a comment, or matches its bridge or an address in its subnet.
func sandboxRule(args string) bool {
	if strings.Contains(args, `\"`+cniNetworkName+`\"`) || strings.Contains(args, `"`+cniNetworkName+`"`) {
		return true
	}
	_, subnet, _ := net.ParseCIDR(realNodeSubnet)
	f := strings.Fields(args)
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "-i", "-o", "--in-interface", "--out-interface":
			if f[i+1] == realNodeBridge {
				return true
			}
		case "-s", "-d", "--source", "--destination":
			ip, n, err := net.ParseCIDR(f[i+1])
			if err != nil {
				ip = net.ParseIP(f[i+1])
			}
			if ip != nil && subnet.Contains(ip) && (n == nil || ones(n) >= 24) {
				return true
			}
		}
	}
	return false
}

func ones(n *net.IPNet) int { o, _ := n.Mask.Size(); return o }

// sweepScript returns the iptables-restore --noflush input that removes the sandbox's rules
// and chains from save, or "" when there is nothing to remove.
func sweepScript(save string) string {
	var out strings.Builder
	for _, t := range parseIptablesSave(save) {
		owned := map[string]bool{}
		for _, c := range t.chains {
			if strings.HasPrefix(c, "KUBE-") {
				owned[c] = true
			}
		}
		// Rules of ours in others' chains, and the per-pod CNI chains they lead to.
		deleted := map[iptRule]bool{}
		for changed := true; changed; {
			changed = false
			for _, r := range t.order {
				if owned[r.chain] || deleted[r] {
					continue
				}
				target := ruleTarget(r.args)
				if owned[target] || sandboxRule(r.args) {
					deleted[r] = true
					changed = true
					if strings.HasPrefix(target, "CNI-") && !isCNIShared(target) && !owned[target] {
						owned[target] = true
					}
				}
			}
		}
		// The shared CNI chains go when no rule for another network's pods is left in them
		// (what is left only jumps among them, or is their fixed content).
		sharedLeft := false
		for c, perNetwork := range cniSharedChains {
			if !perNetwork {
				continue
			}
			for _, args := range t.rules[c] {
				if !deleted[iptRule{c, args}] && !isCNIShared(ruleTarget(args)) {
					sharedLeft = true
				}
			}
		}
		if !sharedLeft {
			for _, c := range t.chains {
				if isCNIShared(c) {
					owned[c] = true
				}
			}
			for _, r := range t.order {
				if !owned[r.chain] && owned[ruleTarget(r.args)] {
					deleted[r] = true
				}
			}
		}
		var lines []string
		for _, r := range t.order {
			if deleted[r] && !owned[r.chain] {
				lines = append(lines, "-D "+r.chain+" "+r.args)
			}
		}
		var chains []string
		for _, c := range t.chains {
			if owned[c] {
				chains = append(chains, c)
			}
		}
		for _, c := range chains {
			lines = append(lines, "-F "+c)
		}
		for _, c := range chains {
			lines = append(lines, "-X "+c)
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&out, "*%s\n%s\nCOMMIT\n", t.name, strings.Join(lines, "\n"))
	}
	return out.String()
}
