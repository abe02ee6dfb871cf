// Package suggest finds, among known names, those nearest to a name
// someone mistyped, for error messages that say what was probably meant.
// The product file's and the install answers' readers share it.
package suggest

import (
	"fmt"
	"strings"
)

// DidYouMean suggests the names in known nearest to s, as
// "; did you mean X?", or "" when none is near.
func DidYouMean(s string, known []string) string {
	near := nearest(s, known)
	switch len(near) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("; did you mean %s?", near[0])
	}
	return fmt.Sprintf("; did you mean %s or %s?", strings.Join(near[:len(near)-1], ", "), near[len(near)-1])
}

// nearest returns up to three names of known near s: those that contain
// s or that s contains, else those fewest edits away (at most a third of
// s's length, and at least 2).
func nearest(s string, known []string) []string {
	const most = 3
	var near []string
	if len(s) >= 3 {
		for _, k := range known {
			if (strings.Contains(k, s) || strings.Contains(s, k)) && len(near) < most {
				near = append(near, k)
			}
		}
	}
	if len(near) > 0 {
		return near
	}
	limit := max(2, len(s)/3)
	best := limit + 1
	for _, k := range known {
		d := editDistance(s, k)
		switch {
		case d > limit:
		case d < best:
			best, near = d, []string{k}
		case d == best && len(near) < most:
			near = append(near, k)
		}
	}
	return near
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
