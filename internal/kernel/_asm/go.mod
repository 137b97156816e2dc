module backprop/internal/kernel/_asm

go 1.26
