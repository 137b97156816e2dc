module backprop

go 1.26
