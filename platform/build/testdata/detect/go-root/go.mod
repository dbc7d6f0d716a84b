module github.com/acme/api

go 1.25.3
