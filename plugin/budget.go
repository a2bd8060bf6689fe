package plugin

import (
	"fmt"
	"strconv"
	"strings"
)

// EnvParallelism is the sidecar variable with the number of generations
// that may run at once in the sidecar: the repo-server's parallelism limit
// (reposerver.parallelism.limit in argocd-cmd-params-cm), which the
// install sets to the same value. With the container's memory limit it
// gives the default memory budget of each generation (DefaultMemoryBudget).
const EnvParallelism = "SYNCWAVE_PARALLELISM"

// Bounds of the memory budget derived from the container.
const (
	// MaxDerivedBudget is the budget without a container limit, and the
	// largest one derived from it.
	MaxDerivedBudget int64 = 1 << 30
	// MinDerivedBudget is the smallest derived budget.
	MinDerivedBudget int64 = 64 << 20
	// SidecarOverhead is the part of the container's memory kept for the
	// cmp-server and the kernel's page cache of the repository copy.
	SidecarOverhead int64 = 64 << 20
)

// DefaultMemoryBudget is the memory budget of one generation in a
// container whose memory limit is memoryMax (<= 0: none) shared by
// parallelism generations: (memoryMax − SidecarOverhead) / parallelism,
// from MinDerivedBudget to MaxDerivedBudget. Each generation stops itself
// at its budget, so the generations that may run at once stay under the
// container's limit and meet syncwave's message, not the OOM killer.
func DefaultMemoryBudget(memoryMax int64, parallelism int) int64 {
	if memoryMax <= 0 {
		return MaxDerivedBudget
	}
	if parallelism < 1 {
		parallelism = 1
	}
	b := (memoryMax - SidecarOverhead) / int64(parallelism)
	return min(max(b, MinDerivedBudget), MaxDerivedBudget)
}

// ParseParallelism reads EnvParallelism: a whole number from 1 to 64.
func ParseParallelism(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("expected a whole number from 1 to 64 (the repo-server's reposerver.parallelism.limit)")
	}
	return n, nil
}
