module example.com/shop

go 1.24

toolchain go1.26.1

require github.com/lib/pq v1.10.9
