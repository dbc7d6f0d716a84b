package build

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// A BuildKit build through the Engine API reports its progress as aux messages with the id
// moby.buildkit.trace, each holding one StatusResponse of BuildKit's control API
// (github.com/moby/buildkit/api/services/control, control.proto) in protobuf's wire
// format. They are decoded here with protowire rather than with BuildKit's generated types:
// those would bring BuildKit's gRPC services and their dependencies into the binary for five
// small messages whose field numbers are part of BuildKit's stable API.

// status is one StatusResponse: what changed since the last one.
type status struct {
	vertexes []vertexUpdate
	statuses []vertexStatus
	logs     []vertexLog
	warnings []vertexWarning
}

// vertexUpdate is a Vertex: a step of the build (a Dockerfile instruction, or one of
// BuildKit's internal steps) in its latest state.
type vertexUpdate struct {
	digest    string
	inputs    []string
	name      string
	cached    bool
	started   *time.Time
	completed *time.Time
	err       string
}

// vertexStatus is a VertexStatus: a vertex's progress on one task (a transfer, an export).
type vertexStatus struct {
	id, vertex, name   string
	current, total     int64
	timestamp          time.Time
	started, completed *time.Time
}

// vertexLog is a VertexLog: output of a vertex's process (stream 1 stdout, 2 stderr).
type vertexLog struct {
	vertex    string
	timestamp time.Time
	stream    int64
	msg       []byte
}

// vertexWarning is a VertexWarning: a frontend's warning about the build definition.
type vertexWarning struct {
	vertex string
	level  int64
	short  []byte
	detail [][]byte
	url    string
}

// decodeStatus decodes a StatusResponse.
func decodeStatus(b []byte) (*status, error) {
	s := &status{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			u, err := decodeVertex(v)
			if err != nil {
				return fmt.Errorf("vertex: %w", err)
			}
			s.vertexes = append(s.vertexes, u)
		case 2:
			st, err := decodeVertexStatus(v)
			if err != nil {
				return fmt.Errorf("vertex status: %w", err)
			}
			s.statuses = append(s.statuses, st)
		case 3:
			l, err := decodeVertexLog(v)
			if err != nil {
				return fmt.Errorf("vertex log: %w", err)
			}
			s.logs = append(s.logs, l)
		case 4:
			w, err := decodeVertexWarning(v)
			if err != nil {
				return fmt.Errorf("vertex warning: %w", err)
			}
			s.warnings = append(s.warnings, w)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode BuildKit's status: %w", err)
	}
	return s, nil
}

func decodeVertex(b []byte) (vertexUpdate, error) {
	var u vertexUpdate
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		switch {
		case num == 1 && typ == protowire.BytesType:
			u.digest = string(v)
		case num == 2 && typ == protowire.BytesType:
			u.inputs = append(u.inputs, string(v))
		case num == 3 && typ == protowire.BytesType:
			u.name = string(v)
		case num == 4 && typ == protowire.VarintType:
			u.cached = n != 0
		case num == 5 && typ == protowire.BytesType:
			u.started, err = decodeTimestamp(v)
		case num == 6 && typ == protowire.BytesType:
			u.completed, err = decodeTimestamp(v)
		case num == 7 && typ == protowire.BytesType:
			u.err = string(v)
		}
		return err
	})
	return u, err
}

func decodeVertexStatus(b []byte) (vertexStatus, error) {
	var s vertexStatus
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		var t *time.Time
		switch {
		case num == 1 && typ == protowire.BytesType:
			s.id = string(v)
		case num == 2 && typ == protowire.BytesType:
			s.vertex = string(v)
		case num == 3 && typ == protowire.BytesType:
			s.name = string(v)
		case num == 4 && typ == protowire.VarintType:
			s.current = int64(n)
		case num == 5 && typ == protowire.VarintType:
			s.total = int64(n)
		case num == 6 && typ == protowire.BytesType:
			if t, err = decodeTimestamp(v); t != nil {
				s.timestamp = *t
			}
		case num == 7 && typ == protowire.BytesType:
			s.started, err = decodeTimestamp(v)
		case num == 8 && typ == protowire.BytesType:
			s.completed, err = decodeTimestamp(v)
		}
		return err
	})
	return s, err
}

func decodeVertexLog(b []byte) (vertexLog, error) {
	var l vertexLog
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			l.vertex = string(v)
		case num == 2 && typ == protowire.BytesType:
			t, err := decodeTimestamp(v)
			if err != nil {
				return err
			}
			l.timestamp = *t
		case num == 3 && typ == protowire.VarintType:
			l.stream = int64(n)
		case num == 4 && typ == protowire.BytesType:
			l.msg = append([]byte(nil), v...)
		}
		return nil
	})
	return l, err
}

func decodeVertexWarning(b []byte) (vertexWarning, error) {
	var w vertexWarning
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			w.vertex = string(v)
		case num == 2 && typ == protowire.VarintType:
			w.level = int64(n)
		case num == 3 && typ == protowire.BytesType:
			w.short = append([]byte(nil), v...)
		case num == 4 && typ == protowire.BytesType:
			w.detail = append(w.detail, append([]byte(nil), v...))
		case num == 5 && typ == protowire.BytesType:
			w.url = string(v)
		}
		return nil
	})
	return w, err
}

// decodeTimestamp decodes a google.protobuf.Timestamp; a message that is present is a time,
// even when empty (the epoch).
func decodeTimestamp(b []byte) (*time.Time, error) {
	var sec, nsec int64
	err := fields(b, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
		if typ != protowire.VarintType {
			return nil
		}
		switch num {
		case 1:
			sec = int64(n)
		case 2:
			nsec = int64(int32(n))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("timestamp: %w", err)
	}
	t := time.Unix(sec, nsec)
	return &t, nil
}

var errWire = errors.New("malformed protobuf")

// fields calls f with each field of the message b: its number and wire type, and its value
// (v for the length-delimited type, n for varints and fixed-size ones). Fields of other
// types are skipped; unknown fields are f's to ignore.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return fmt.Errorf("%w: %v", errWire, protowire.ParseError(l))
		}
		b = b[l:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, l = protowire.ConsumeFixed32(b)
			n = uint64(x)
		case protowire.Fixed64Type:
			n, l = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(num, typ, b)
		}
		if l < 0 {
			return fmt.Errorf("%w: field %d: %v", errWire, num, protowire.ParseError(l))
		}
		b = b[l:]
		if err := f(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}
