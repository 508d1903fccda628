module github.com/nfskit/nfskit/bench

go 1.26.0

replace github.com/nfskit/nfskit => ../

require (
	github.com/go-git/go-billy/v5 v5.9.2
	github.com/nfskit/nfskit v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
	github.com/willscott/go-nfs v0.0.4
	golang.org/x/sys v0.49.0
)

require (
	github.com/cyphar/filepath-securejoin v0.6.1 // indirect
	github.com/davecgh/go-xdr v0.0.0-20161123171359-e6a2ba005892 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	github.com/rasky/go-xdr v0.0.0-20170124162913-1a41d1a06c93 // indirect
	github.com/willscott/go-nfs-client v0.0.0-20240104095149-b44639837b00 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.62.0 // indirect
)
