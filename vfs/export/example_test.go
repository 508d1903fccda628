package export_test

import (
	"fmt"
	"net"
	"strings"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// An exports file read as administrators write it, served from memory:
// read-write for one network, read-only for everyone else.
func Example() {
	const exports = `# /etc/exports
/srv/data  192.0.2.0/24(rw,no_root_squash,insecure) *(ro,all_squash,anonuid=1000,anongid=1000)
/srv/pub   -ro,insecure  *      # everyone, read-only
`
	entries, err := export.Parse("exports", strings.NewReader(exports))
	if err != nil {
		fmt.Println(err)
		return
	}
	table, err := export.Build(entries, func(path string) (vfs.FS, error) {
		return memfs.New(&memfs.Options{RootMode: 0o755}), nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range table.List() {
		fmt.Println(e.Path, e.Groups())
	}
	data, _ := table.Lookup("/srv/data")
	for _, client := range []string{"192.0.2.7:40000", "198.51.100.1:800"} {
		addr, _ := net.ResolveTCPAddr("tcp", client)
		p, err := data.ClientPolicy(addr)
		fmt.Println(client, "read-only:", p.ReadOnly, "all squashed:", p.AllSquash, err)
	}

	_, err = export.Parse("exports", strings.NewReader("/a *(rw)\n/b host(rw,sync,foo)\n"))
	fmt.Println(err)
	// Output:
	// /srv/data [192.0.2.0/24 *]
	// /srv/pub [*]
	// 192.0.2.7:40000 read-only: false all squashed: false <nil>
	// 198.51.100.1:800 read-only: true all squashed: true <nil>
	// exports:2: unknown option "foo" in "rw,sync,foo"
}

// Rules give clients of one export their own options: here the build
// network writes, one host is trusted with root, and everyone else
// reads as the anonymous identity.
func ExampleRule() {
	data := &export.Export{ID: 7, Path: "/data", FS: memfs.New(nil),
		Policy: export.Policy{RequirePrivilegedPort: true},
		Rules: []export.Rule{
			{Clients: []string{"10.1.0.0/16"}, Access: export.ReadWrite},
			{Clients: []string{"10.1.0.5"}, Access: export.ReadWrite, Squash: export.NoRootSquash},
			{Clients: []string{"*"}, Access: export.ReadOnly, Squash: export.AllSquash, Port: export.Insecure},
		}}
	if _, err := export.NewTable(data); err != nil {
		fmt.Println(err)
		return
	}
	for _, client := range []string{"10.1.0.5:700", "10.1.9.9:700", "10.1.9.9:40000", "192.0.2.1:40000"} {
		addr, _ := net.ResolveTCPAddr("tcp", client)
		p, err := data.ClientPolicy(addr)
		if err != nil {
			fmt.Println(client, err)
			continue
		}
		fmt.Println(client, "read-only:", p.ReadOnly, "root:", p.NoRootSquash, "all squashed:", p.AllSquash)
	}
	// Output:
	// 10.1.0.5:700 read-only: false root: true all squashed: false
	// 10.1.9.9:700 read-only: false root: false all squashed: false
	// 10.1.9.9:40000 rpc: authentication failed: AUTH_TOOWEAK
	// 192.0.2.1:40000 read-only: true root: false all squashed: true
}
