package build

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/slipwayhq/slipway/platform/progress"
)

// A BuildKit build through the Engine API reports its progress as aux messages with the id
// moby.buildkit.trace, each holding one StatusResponse of BuildKit's control API
// (github.com/moby/buildkit/api/services/control, control.proto) in protobuf's wire
// format. They are decoded here with protowire rather than with BuildKit's generated types:
// those would bring BuildKit's gRPC services and their dependencies into the binary for five
// small messages whose field numbers are part of BuildKit's stable API.

// decodeStatus decodes a StatusResponse: Vertex, VertexStatus, VertexLog and VertexWarning
// messages (fields 1 to 4).
func decodeStatus(b []byte) (*progress.SolveStatus, error) {
	s := &progress.SolveStatus{}
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
			s.Vertexes = append(s.Vertexes, u)
		case 2:
			st, err := decodeVertexStatus(v)
			if err != nil {
				return fmt.Errorf("vertex status: %w", err)
			}
			s.Statuses = append(s.Statuses, st)
		case 3:
			l, err := decodeVertexLog(v)
			if err != nil {
				return fmt.Errorf("vertex log: %w", err)
			}
			s.Logs = append(s.Logs, l)
		case 4:
			w, err := decodeVertexWarning(v)
			if err != nil {
				return fmt.Errorf("vertex warning: %w", err)
			}
			s.Warnings = append(s.Warnings, w)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode BuildKit's status: %w", err)
	}
	return s, nil
}

func decodeVertex(b []byte) (progress.Vertex, error) {
	var u progress.Vertex
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		switch {
		case num == 1 && typ == protowire.BytesType:
			u.Digest = string(v)
		case num == 2 && typ == protowire.BytesType:
			u.Inputs = append(u.Inputs, string(v))
		case num == 3 && typ == protowire.BytesType:
			u.Name = string(v)
		case num == 4 && typ == protowire.VarintType:
			u.Cached = n != 0
		case num == 5 && typ == protowire.BytesType:
			u.Started, err = decodeTimestamp(v)
		case num == 6 && typ == protowire.BytesType:
			u.Completed, err = decodeTimestamp(v)
		case num == 7 && typ == protowire.BytesType:
			u.Error = string(v)
		}
		return err
	})
	return u, err
}

func decodeVertexStatus(b []byte) (progress.VertexStatus, error) {
	var s progress.VertexStatus
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		var t *time.Time
		switch {
		case num == 1 && typ == protowire.BytesType:
			s.ID = string(v)
		case num == 2 && typ == protowire.BytesType:
			s.Vertex = string(v)
		case num == 3 && typ == protowire.BytesType:
			s.Name = string(v)
		case num == 4 && typ == protowire.VarintType:
			s.Current = int64(n)
		case num == 5 && typ == protowire.VarintType:
			s.Total = int64(n)
		case num == 6 && typ == protowire.BytesType:
			if t, err = decodeTimestamp(v); t != nil {
				s.Timestamp = *t
			}
		case num == 7 && typ == protowire.BytesType:
			s.Started, err = decodeTimestamp(v)
		case num == 8 && typ == protowire.BytesType:
			s.Completed, err = decodeTimestamp(v)
		}
		return err
	})
	return s, err
}

func decodeVertexLog(b []byte) (progress.VertexLog, error) {
	var l progress.VertexLog
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			l.Vertex = string(v)
		case num == 2 && typ == protowire.BytesType:
			t, err := decodeTimestamp(v)
			if err != nil {
				return err
			}
			l.Timestamp = *t
		case num == 3 && typ == protowire.VarintType:
			l.Stream = int(n)
		case num == 4 && typ == protowire.BytesType:
			l.Data = append([]byte(nil), v...)
		}
		return nil
	})
	return l, err
}

func decodeVertexWarning(b []byte) (progress.VertexWarning, error) {
	var w progress.VertexWarning
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			w.Vertex = string(v)
		case num == 2 && typ == protowire.VarintType:
			w.Level = int(n)
		case num == 3 && typ == protowire.BytesType:
			w.Short = append([]byte(nil), v...)
		case num == 4 && typ == protowire.BytesType:
			w.Detail = append(w.Detail, append([]byte(nil), v...))
		case num == 5 && typ == protowire.BytesType:
			w.URL = string(v)
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
