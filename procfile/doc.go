// Package procfile parses Heroku Procfiles: one `name: command` line per process type.
//
// Slipway turns every process type into Kubernetes objects, so the parser is strict where
// Heroku, foreman and forego are lenient: a line it cannot read is an error that names the
// file and line, never a line silently skipped. It also runs commands through `/bin/sh -c`,
// and ExecCommand prepares a command for that so the process receives signals.
//
// Heroku has two Procfile parsers: the classic stack's line pattern, which skips any line
// it does not match, and its Procfile buildpack (heroku/buildpacks-procfile 4.x), which
// refuses a malformed file. Slipway accepts what they accept, warning where the input is
// suspicious, except where accepting would drop or misread a line (a duplicate type,
// `web : cmd`, a line continued with '\', text the classic stack skips), where a name
// cannot become a Kubernetes name, and for the byte-level limits below: those are errors,
// and the hint says what Heroku would have done or what to change.
//
// The package only parses: it does not print, exit, read the environment or touch a
// cluster, and it depends on nothing beyond the standard library. A parse error is a *Error
// (use errors.As) for the first problem in the file; tolerated oddities are returned as
// Warnings for the caller to show.
//
// # How a Procfile is read
//
//   - A process line is `name: command`. The name is one or more of A-Z, a-z, 0-9, '-' and
//     '_', followed immediately by ':'. Spaces and tabs after the ':' are optional:
//     `web:cmd` is accepted, as Heroku's buildpack accepts it, with a warning that Heroku's
//     classic stack ignores such a line.
//   - The command is kept verbatim once the spaces and tabs around it are trimmed. A
//     trailing ` # comment` stays part of the command: it runs under `sh -c`, where it is a
//     shell comment. (procfile-util strips it; foreman, forego, honcho and Heroku keep it.)
//   - Quotes are the shell's, as on Heroku: `web: "bundle exec puma"` is kept as written,
//     with a warning that the shell will look for a program named "bundle exec puma".
//   - A command is one line. One that ends with a '\' is kept, with a warning that the next
//     line does not continue it; if that next line is not a process line, its error says
//     to join the two lines.
//   - Blank lines, lines of only spaces and tabs, and comment lines (`#` after optional
//     whitespace) are skipped. A process line indented with spaces or tabs is read as
//     Heroku reads it, with a warning; any other line that starts with whitespace is an
//     error.
//   - A space or tab between the name and ':' (`web : cmd`) is an error, with the hint
//     "remove the space before ':'".
//   - A line without ':', or whose text before the first ':' contains a space, is an error:
//     `expected "name: command", found "…"` (the text quoted and cut at 40 characters).
//   - An empty command (`web:` or `web:   `) is an error naming the process type, with a
//     hint to write the command on the same line (a YAML-style block is not a Procfile).
//   - Any other character in the name ('.', '/', a tab, non-ASCII, …) is an error naming
//     that character.
//   - A process type declared twice is an error naming both lines:
//     `Procfile:4: process type "worker" declared twice (first on line 2)`; the hint says
//     that Heroku runs only the last one, which is how a worker line goes missing there.
//   - `release` may appear anywhere in the file; Entry.Release reports it. Like Heroku the
//     match is case-sensitive; a "Release" type gets a warning that it is not the release
//     phase.
//   - A file that is empty or has only comments parses to a Procfile with no entries and no
//     error: callers decide whether that is acceptable.
//
// # Names in Kubernetes
//
// Process types become parts of Kubernetes names, which must be DNS labels (RFC 1123):
// lower-case letters, digits and '-', starting and ending with a letter or digit, at most
// 63 characters. Entry.KubeName holds that form:
//
//   - '_' becomes '-' and upper case becomes lower case (`worker_beat` → `worker-beat`,
//     `Web` → `web`), with a warning saying so:
//     `Procfile:3: process type "worker_beat" is named "worker-beat" in Kubernetes`.
//   - A leading digit is fine (`2fa-worker`): RFC 1123 labels allow it.
//   - A name that starts or ends with '-' once normalised (`-web`, `web_`) is an error.
//   - A name longer than 63 characters is an error. (Kubernetes object names also carry the
//     app name, so the chart generator may need shorter names still; that is its check.)
//   - Two names that are the same once normalised (`worker_beat` and `worker-beat`, `Web`
//     and `web`) are an error naming both lines and both spellings.
//
// # Bytes and line endings
//
//   - LF and CRLF line endings are both accepted. A carriage return not followed by a line
//     feed is an error with a hint to save the file with LF or CRLF line endings: old Mac
//     (CR-only) files would otherwise read as a single line.
//   - A UTF-8 byte order mark at the start is removed, with a warning: Heroku's buildpack
//     refuses such a file. A UTF-16 byte order mark is an error; so are invalid UTF-8 and
//     NUL bytes, reported with their line and column.
//   - Lines have no length limit (a 200 KiB command is fine), but the whole file is capped
//     at 1 MiB (MaxSize).
//   - The last line needs no trailing newline.
//   - Git merge-conflict markers (a line starting with `<<<<<<<`, `|||||||`, `=======` or
//     `>>>>>>>`) are an error, "unresolved merge conflict marker", rather than a guess at
//     which side was meant.
//
// Parse never panics, whatever its input; FuzzParse checks this.
package procfile
