package b

func C() int { return 1 }
