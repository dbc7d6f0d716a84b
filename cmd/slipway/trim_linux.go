package main

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// trimMemory gives back what start-up used and a long-running supervisor never touches
// again: the heap the packages' initialisation freed, and the pages of this executable that
// initialisation read. Only mappings that are read-only and hold no private (copied) page
// are dropped: their pages are the file's, and the kernel reads them back from the page
// cache when they are needed again. A mapping the dynamic loader relocated (RELRO) holds
// private pages and is left alone.
func trimMemory() {
	debug.FreeOSMemory()
	// The mappings are matched by inode: a rebuild that replaced the file since this
	// process started leaves its path marked "(deleted)".
	st, err := os.Stat("/proc/self/exe")
	if err != nil {
		return
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	inode := strconv.FormatUint(sys.Ino, 10)
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	var start, end uint64
	candidate := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && len(fields[1]) == 4 {
			// A mapping's header: "start-end perms offset dev inode [path]".
			candidate = false
			lo, hi, _ := strings.Cut(fields[0], "-")
			s, err1 := strconv.ParseUint(lo, 16, 64)
			e, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil && fields[4] == inode && !strings.Contains(fields[1], "w") {
				start, end, candidate = s, e, true
			}
			continue
		}
		if candidate && len(fields) >= 2 && fields[0] == "Anonymous:" {
			if fields[1] == "0" {
				_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
			}
			candidate = false
		}
	}
}
