module gemmasm

go 1.26.0
