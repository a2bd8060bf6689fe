package cli

import (
	"testing"
	"testing/fstest"

	"github.com/syncwave/syncwave/plugin"
)

func TestContainerMemoryMax(t *testing.T) {
	t.Parallel()

	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, c := range []struct {
		name string
		fs   fstest.MapFS
		want int64
	}{
		{"v2 in a cgroup namespace", fstest.MapFS{"proc/self/cgroup": file("0::/\n"), "sys/fs/cgroup/memory.max": file("1073741824\n")}, 1 << 30},
		{"v2 unlimited", fstest.MapFS{"proc/self/cgroup": file("0::/\n"), "sys/fs/cgroup/memory.max": file("max\n")}, 0},
		{"v2 limit on a parent", fstest.MapFS{
			"proc/self/cgroup":                           file("0::/kubepods/pod1/ctr\n"),
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": file("max\n"),
			"sys/fs/cgroup/kubepods/pod1/memory.max":     file("536870912\n"),
			"sys/fs/cgroup/kubepods/memory.max":          file("8589934592\n"),
		}, 512 << 20},
		{"v1", fstest.MapFS{"proc/self/cgroup": file("12:cpu,cpuacct:/\n11:memory:/\n"), "sys/fs/cgroup/memory/memory.limit_in_bytes": file("805306368\n")}, 768 << 20},
		{"v1 unlimited", fstest.MapFS{"proc/self/cgroup": file("11:memory:/\n"), "sys/fs/cgroup/memory/memory.limit_in_bytes": file("9223372036854771712\n")}, 0},
		{"no cgroup", fstest.MapFS{}, 0},
		{"garbage", fstest.MapFS{"proc/self/cgroup": file("0::/\n"), "sys/fs/cgroup/memory.max": file("lots\n")}, 0},
	} {
		if got := containerMemoryMax(c.fs); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestDefaultBudgetFromContainer: without --max-memory or
// SYNCWAVE_MAX_MEMORY, the budget is the container's limit less the
// sidecar's overhead, shared by SYNCWAVE_PARALLELISM generations.
func TestDefaultBudgetFromContainer(t *testing.T) {
	t.Parallel()

	gi := fstest.MapFS{"proc/self/cgroup": {Data: []byte("0::/\n")}, "sys/fs/cgroup/memory.max": {Data: []byte("1073741824\n")}}
	for _, c := range []struct {
		name string
		env  []string
		sys  fstest.MapFS
		want int64
		err  string
	}{
		{"no container", nil, fstest.MapFS{}, 1 << 30, ""},
		{"1Gi alone", nil, gi, 960 << 20, ""},
		{"1Gi by 2", []string{"SYNCWAVE_PARALLELISM=2"}, gi, 480 << 20, ""},
		{"1Gi by 64", []string{"SYNCWAVE_PARALLELISM=64"}, gi, plugin.MinDerivedBudget, ""},
		{"explicit wins", []string{"SYNCWAVE_PARALLELISM=2", "SYNCWAVE_MAX_MEMORY=300Mi"}, gi, 300 << 20, ""},
		{"bad parallelism", []string{"SYNCWAVE_PARALLELISM=0"}, gi, 960 << 20, `SYNCWAVE_PARALLELISM="0": expected a whole number from 1 to 64`},
	} {
		l := limits{sys: c.sys}
		err := l.resolve(c.env)
		if (err == nil) != (c.err == "") || err != nil && err.Error() != c.err+" (the repo-server's reposerver.parallelism.limit)" {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
		if l.memory != c.want {
			t.Errorf("%s: budget %d, want %d", c.name, l.memory, c.want)
		}
	}
}
