package cli

import (
	"bufio"
	"bytes"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// containerMemoryMax returns the memory limit of the cgroup the process
// runs in, read from sys (the file system at "/"): cgroup v2's memory.max
// of the process's group, else cgroup v1's memory.limit_in_bytes; 0 when
// there is none ("max", a v1 limit near 2^63, or no cgroup file system).
// The group is named by /proc/self/cgroup; inside a container's cgroup
// namespace it is "/", the files at the mount's top.
func containerMemoryMax(sys fs.FS) int64 {
	data, err := fs.ReadFile(sys, "proc/self/cgroup")
	if err != nil {
		return 0
	}
	var v2, v1 string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		case hasController(parts[1], "memory"):
			v1 = parts[2]
		}
	}
	if v2 != "" {
		// The process's group and each parent up to the mount: the
		// tightest limit counts (a pod's limit sits on a parent when the
		// container's own group is unlimited).
		best := int64(0)
		for g := path.Clean("/" + v2); ; g = path.Dir(g) {
			if n := readLimit(sys, path.Join("sys/fs/cgroup", g, "memory.max")); n > 0 && (best == 0 || n < best) {
				best = n
			}
			if g == "/" {
				break
			}
		}
		if best > 0 {
			return best
		}
	}
	if v1 != "" {
		for _, f := range []string{path.Join("sys/fs/cgroup/memory", path.Clean("/"+v1), "memory.limit_in_bytes"), "sys/fs/cgroup/memory/memory.limit_in_bytes"} {
			if n := readLimit(sys, f); n > 0 {
				return n
			}
		}
	}
	return 0
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readLimit reads a cgroup limit file: a number of bytes, or "max"; a v1
// "unlimited" (close to 2^63, rounded to pages) is none.
func readLimit(sys fs.FS, name string) int64 {
	data, err := fs.ReadFile(sys, strings.TrimPrefix(name, "/"))
	if err != nil {
		return 0
	}
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0
	}
	return n
}
