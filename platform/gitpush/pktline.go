package gitpush

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// git's pkt-line framing (gitprotocol-common): four hex digits of length, the length
// included, then the data; "0000" is a flush. Only what the handler must read or write
// around git's own programs is here: the commands of a push, the refs of an advertisement,
// and side-band messages of its own.

const flushPkt = "0000"

// readPkt reads one pkt-line; flush is true for a flush packet.
func readPkt(r *bufio.Reader) (data []byte, flush bool, err error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, false, err
	}
	n, err := strconv.ParseUint(string(head[:]), 16, 16)
	if err != nil {
		return nil, false, fmt.Errorf("bad pkt-line length %q", head)
	}
	switch {
	case n == 0:
		return nil, true, nil
	case n < 4:
		return nil, false, fmt.Errorf("bad pkt-line length %d", n)
	}
	data = make([]byte, n-4)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, false, err
	}
	return data, false, nil
}

// pkt frames data as one pkt-line.
func pkt(data []byte) []byte {
	return append(fmt.Appendf(nil, "%04x", len(data)+4), data...)
}

// Update is one ref a push moves: from Old to New (all zeros: created, or deleted).
type Update struct {
	Old, New, Ref string
}

// Deletes reports whether the update deletes its ref.
func (u Update) Deletes() bool { return isZero(u.New) }

func isZero(oid string) bool { return oid == "" || oid == zeroOID(len(oid)) }

func zeroOID(n int) string { return string(bytes.Repeat([]byte{'0'}, n)) }

var commandLine = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (\S+)$`)

// pushCommands is the command section of a push's request: the lines up to the first flush.
type pushCommands struct {
	lines   [][]byte // each line's data, as sent
	updates []Update
	// sideband is true when the client asked for side-band-64k (its messages can be sent).
	sideband bool
}

// readCommands reads the command section of a receive-pack request (and any shallow or
// push-cert lines before it, kept as they are).
func readCommands(r *bufio.Reader) (*pushCommands, error) {
	c := &pushCommands{}
	for size := 0; ; {
		data, flush, err := readPkt(r)
		if err != nil {
			return nil, fmt.Errorf("read the push's commands: %w", err)
		}
		if flush {
			return c, nil
		}
		if size += len(data); size > 1<<20 {
			return nil, fmt.Errorf("read the push's commands: more than 1 MiB of them")
		}
		c.lines = append(c.lines, data)
		line, caps, _ := bytes.Cut(bytes.TrimSuffix(data, []byte("\n")), []byte{0})
		if m := commandLine.FindSubmatch(line); m != nil {
			c.updates = append(c.updates, Update{Old: string(m[1]), New: string(m[2]), Ref: string(m[3])})
			for _, cap := range bytes.Fields(caps) {
				if string(cap) == "side-band-64k" {
					c.sideband = true
				}
			}
		}
	}
}

// rebase sets the old value of every command whose ref has moved since the client read the
// refs (current says where each ref is) and returns the rewritten section and, per ref
// moved, the value the client had.
func (c *pushCommands) rebase(current map[string]string) (section []byte, moved map[string]string) {
	moved = map[string]string{}
	var b bytes.Buffer
	for _, data := range c.lines {
		line, rest, hasCaps := bytes.Cut(bytes.TrimSuffix(data, []byte("\n")), []byte{0})
		m := commandLine.FindSubmatch(line)
		if m == nil {
			b.Write(pkt(data))
			continue
		}
		old, ref := string(m[1]), string(m[3])
		cur, ok := current[ref]
		if !ok {
			cur = zeroOID(len(old))
		}
		if cur == old {
			b.Write(pkt(data))
			continue
		}
		moved[ref] = old
		out := fmt.Appendf(nil, "%s %s %s", cur, m[2], ref)
		if hasCaps {
			out = append(append(out, 0), rest...)
		}
		b.Write(pkt(append(out, '\n')))
	}
	b.WriteString(flushPkt)
	return b.Bytes(), moved
}

// advertisedRefs reads the refs of a receive-pack advertisement: ref name → object id.
func advertisedRefs(adv []byte) (map[string]string, error) {
	refs := map[string]string{}
	r := bufio.NewReader(bytes.NewReader(adv))
	for {
		data, flush, err := readPkt(r)
		if err == io.EOF || flush {
			return refs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the refs: %w", err)
		}
		line, _, _ := bytes.Cut(bytes.TrimSuffix(data, []byte("\n")), []byte{0})
		oid, name, ok := bytes.Cut(line, []byte(" "))
		if !ok || string(name) == "capabilities^{}" {
			continue
		}
		refs[string(name)] = string(oid)
	}
}

// sideband frames msg for band 2 of side-band-64k: a message the client shows as remote:.
func sideband(band byte, msg []byte) []byte { return pkt(append([]byte{band}, msg...)) }

// keepalive is an empty packet on band 1, which git clients read and ignore.
var keepalive = sideband(1, nil)
