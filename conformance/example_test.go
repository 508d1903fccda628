package conformance_test

import (
	"context"
	"fmt"

	"github.com/nfskit/nfskit/conformance"
)

// Checking nfskit's own nfsd, served in process; another server is
// checked the same way with a Config naming it.
func ExampleRun() {
	ctx := context.Background()
	cfg, stop, err := conformance.ServeNfsd(ctx)
	if err != nil {
		panic(err)
	}
	defer stop()
	rep, err := conformance.Run(ctx, cfg, "NFS3-CREATE-EXCLUSIVE", "NLM-BLOCK", "MOUNT-DUMP")
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results {
		if r.Detail != "" {
			fmt.Printf("%s %s: %s\n", r.Check.ID, r.Status, r.Detail)
			continue
		}
		fmt.Println(r.Check.ID, r.Status)
	}
	fmt.Println(rep.Summary())
	// Output:
	// MOUNT-DUMP PASS: as mounted by "nfskit-conformance"
	// NFS3-CREATE-EXCLUSIVE PASS
	// NLM-BLOCK PASS: granted by a callback (procedure 5)
	// 3 passed, 0 failed, 0 skipped
}
