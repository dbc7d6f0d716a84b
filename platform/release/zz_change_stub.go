package release

import "context"

// Change is a TEMPORARY stub of the API being built on branch h-preview; replaced at merge.
type Change struct {
	From                                      *Release
	Source                                    *Release
	ImageFrom, ImageTo                        string
	VersionFrom, VersionTo                    string
	TypesAdded, TypesRemoved                  []string
	ConfigAdded, ConfigRemoved, ConfigChanged []string
	Unchanged                                 bool
}

// PreviewPromote is a stub.
func (m *Manager) PreviewPromote(ctx context.Context, src *Manager, po PromoteOptions) (*Change, error) {
	return nil, nil
}

// PreviewRollback is a stub.
func (m *Manager) PreviewRollback(ctx context.Context, to int) (*Change, error) { return nil, nil }

// Drift is a stub.
type Drift struct {
	Behind         int
	SameImage      bool
	Source, Target *Release
}

// Compare is a stub.
func Compare(source, target []Release) Drift { return Drift{} }
