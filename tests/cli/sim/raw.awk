# raw.awk - UnionPay's raw response format k=v&k=v ('&' inside {} / [] kept), for the
# upqr-sim shell tests (python starts too slowly on a busy machine to call per check).
#   awk -v key=K -f raw.awk FILE     prints the value of K (exit 1 if absent)
#   awk -v sts=1 -f raw.awk FILE     prints the string to sign (sorted, no signature)
BEGIN { RS = "\001"; found = 0 }
{
	n = length($0); depth = 0; cur = ""; np = 0
	for (i = 1; i <= n; i++) {
		c = substr($0, i, 1)
		if (c == "{" || c == "[") depth++
		else if (c == "}" || c == "]") depth--
		if (c == "&" && depth == 0) { pair[++np] = cur; cur = "" } else cur = cur c
	}
	pair[++np] = cur
	for (i = 1; i <= np; i++) {
		p = index(pair[i], "=")
		k[i] = p ? substr(pair[i], 1, p - 1) : pair[i]
		v[i] = p ? substr(pair[i], p + 1) : ""
		if (key != "" && k[i] == key && !found) { printf "%s", v[i]; found = 1 }
	}
	if (sts) {
		m = 0
		for (i = 1; i <= np; i++) if (k[i] != "signature") idx[++m] = i
		for (a = 2; a <= m; a++) {          # insertion sort by key (LC_ALL=C byte order)
			t = idx[a]; b = a - 1
			while (b >= 1 && k[idx[b]] > k[t]) { idx[b + 1] = idx[b]; b-- }
			idx[b + 1] = t
		}
		for (a = 1; a <= m; a++) printf "%s%s=%s", (a > 1 ? "&" : ""), k[idx[a]], v[idx[a]]
	}
}
END { if (key != "" && !found) exit 1 }
