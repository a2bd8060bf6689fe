# Shared by the hack/bench-*.sh scripts (sourced, not run). Each needs TMP.
# Timing is hack/runstat (built here into TMP): wall, peak RSS and CPU of the
# child with microsecond resolution (GNU time's is 10 ms).
#
# measure LABEL COMMAND...  appends "LABEL wall rss-KB user sys" to $TMP/times
# median                    median of the numbers on stdin
# col LABEL wall|cpu|rss    median of one column for LABEL (rss in MiB)
# summary REF-LABEL REF-NAME  prints both medians and the syncwave/REF ratios

# The scripts run from the repository root.
[ -x "$TMP/runstat" ] || go build -o "$TMP/runstat" ./hack/runstat

measure() {
	label=$1
	shift
	"$TMP/runstat" "$label" "$@" >/dev/null 2>>"$TMP/times" || echo "$label failed" >&2
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v l="$1" -v c="$2" '$1==l{print (c=="cpu") ? $4+$5 : (c=="rss") ? $3/1024 : $2}' "$TMP/times" | median; }

summary() {
	ref=$1 name=$2
	rw=$(col "$ref" wall) rc=$(col "$ref" cpu) rr=$(col "$ref" rss)
	sw=$(col syncwave wall) sc=$(col syncwave cpu) sr=$(col syncwave rss)
	echo "runs: $RUNS paired; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-16s wall %ss  cpu %ss  peak RSS %.0f MiB\n' "$name:" "$rw" "$rc" "$rr"
	printf '%-16s wall %ss  cpu %ss  peak RSS %.0f MiB\n' "syncwave render:" "$sw" "$sc" "$sr"
	awk -v a="$sw" -v b="$rw" -v c="$sr" -v d="$rr" -v e="$sc" -v f="$rc" -v r="$ref" \
		'BEGIN {printf "ratio syncwave/%s: wall %.2f  cpu %.2f  peak RSS %.2f\n", r, a/b, e/f, c/d}'
}
