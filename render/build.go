package render

import (
	"io"
	"time"

	"github.com/slipwayhq/slipway/platform/progress"
)

// BuildOptions says how Build shows a build.
type BuildOptions struct {
	// Terminal redraws the progress in place, moving the cursor: BuildKit's steps as a
	// compact live view, the engine's layers with progress bars. Otherwise the output is
	// plain lines, as docker's --progress=plain.
	Terminal bool
	// Size is the terminal's size in columns and lines (term.GetSize); an error or a nil Size
	// is docker's default: 80×24 for the live view, 200 columns for progress bars. It is
	// asked for at each redraw.
	Size func() (width, height int, err error)
}

// Build returns a progress.Func that writes the build updates (Event.Build) of the events it
// receives to w as docker build and docker push show them, and ignores the other events
// (their Messages say the same in fewer words). A live view draws until the End of its
// stream; a failed BuildKit build's step output and the Dockerfile's warnings follow it.
func Build(w io.Writer, o BuildOptions) progress.Func {
	r := &buildRenderer{w: w, o: o, now: time.Now, every: 100 * time.Millisecond}
	return r.event
}

// buildRenderer is Build's state: the stream of the engine's output being shown.
type buildRenderer struct {
	w     io.Writer
	o     BuildOptions
	now   func() time.Time
	every time.Duration // the live view's redraws

	kit  progressView // a BuildKit build's view, between Begin and End
	msgs *messageView // the engine's JSON messages' view, between Begin and End
}

func (r *buildRenderer) event(e progress.Event) {
	u := e.Build
	if u == nil {
		return
	}
	switch {
	case u.Begin:
		r.end()
		if u.BuildKit {
			r.kit = r.newKitView()
		} else {
			r.msgs = r.newMessageView()
		}
	case u.End:
		r.end()
	case u.Solve != nil:
		r.kitView().update(u.Solve)
	case u.Text != "":
		r.kitView().text(u.Text)
	case u.Message != nil:
		if r.msgs == nil {
			r.msgs = r.newMessageView()
		}
		r.msgs.show(u.Message)
	}
}

// end ends the stream being shown: a BuildKit build's view draws its last frame, followed by
// the summary.
func (r *buildRenderer) end() {
	if r.kit != nil {
		r.kit.finish()
		summary(r.w, r.kit.steps())
	}
	r.kit, r.msgs = nil, nil
}

func (r *buildRenderer) kitView() progressView {
	if r.kit == nil {
		r.kit = r.newKitView()
	}
	return r.kit
}

func (r *buildRenderer) newKitView() progressView {
	if !r.o.Terminal {
		return newPlainView(r.w)
	}
	size := func() (int, int) {
		if r.o.Size != nil {
			if w, h, err := r.o.Size(); err == nil {
				return w, h
			}
		}
		return 80, 24
	}
	return newLiveView(r.w, size, r.now, r.every)
}

func (r *buildRenderer) newMessageView() *messageView {
	width := func() int {
		if r.o.Size != nil {
			if w, _, err := r.o.Size(); err == nil {
				return w
			}
		}
		return 200
	}
	return &messageView{w: r.w, terminal: r.o.Terminal, width: width, now: func() time.Time { return r.now().UTC() }, ids: map[string]uint{}}
}
