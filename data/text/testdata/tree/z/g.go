package z

var G = []string{"x", "y"}
