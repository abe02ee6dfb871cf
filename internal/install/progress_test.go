package install

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCountingFileThrottle writes through a countingFile on a fake clock
// where each write takes writeCost and each report reportCost: reports
// must stay a small share of the time and keep coming, however slow
// they are.
func TestCountingFileThrottle(t *testing.T) {
	tests := []struct {
		name                  string
		writes                int
		writeCost, reportCost time.Duration
		minReports            int
		maxReports            int
	}{
		// 2 s of writes, cheap reports: about one per reportEvery.
		{"cheap reports", 200, 10 * time.Millisecond, time.Millisecond, 15, 21},
		// Reports slower than reportEvery: without the share limit
		// every write would report.
		{"slow reports", 40, 50 * time.Millisecond, 150 * time.Millisecond, 2, 5},
		// Writes slower than reportEvery: a report after each.
		{"slow writes", 10, 300 * time.Millisecond, time.Millisecond, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1700000000, 0)
			c := fakeClockFile(t, &now)
			reports := 0
			var inReports time.Duration
			c.onWrite = func() {
				reports++
				now = now.Add(tt.reportCost)
				inReports += tt.reportCost
			}
			start := now
			for i := range tt.writes {
				now = now.Add(tt.writeCost)
				if _, err := c.WriteAt([]byte("x"), int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			total := now.Sub(start)
			if reports < tt.minReports || reports > tt.maxReports {
				t.Errorf("%d reports in %d writes, want %d to %d", reports, tt.writes, tt.minReports, tt.maxReports)
			}
			if share := float64(inReports) / float64(total); share > 1.0/reportShare+0.05 && tt.writeCost < reportEvery {
				t.Errorf("reports took %.0f%% of the time, want at most about %d%%", share*100, 100/reportShare)
			}
			if c.n != int64(tt.writes) {
				t.Errorf("counted %d bytes, want %d", c.n, tt.writes)
			}
		})
	}
}

// TestCountingFileStepReport checks that a step's report always runs and
// holds back the write reports right after it.
func TestCountingFileStepReport(t *testing.T) {
	now := time.Unix(1700000000, 0)
	c := fakeClockFile(t, &now)
	reports := 0
	c.onWrite = func() { reports++ }
	c.report()
	c.report()
	if reports != 2 {
		t.Fatalf("%d reports from two step starts, want 2", reports)
	}
	c.WriteAt([]byte("x"), 0)
	if reports != 2 {
		t.Errorf("a write right after a step's report reported again")
	}
	now = now.Add(reportEvery)
	c.WriteAt([]byte("x"), 1)
	if reports != 3 {
		t.Errorf("a write %v after the last report did not report", reportEvery)
	}
}

// fakeClockFile is a countingFile on a new file whose throttle reads the
// time from *now.
func fakeClockFile(t *testing.T, now *time.Time) *countingFile {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "disk"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &countingFile{File: f, throttle: throttle{now: func() time.Time { return *now }}}
}
