package nn

// Normal returns s in a normal form: the activation named ("" is relu)
// and every parameter at its default written 0, so that two Specs of the
// same network compare equal.
func (s Spec) Normal() Spec {
	s.Sizes = append([]int(nil), s.Sizes...)
	if s.Activation == "" {
		s.Activation = "relu"
	}
	if s.Activation != "leaky_relu" || s.Slope == 0.01 {
		s.Slope = 0
	}
	if s.Activation != "elu" || s.Alpha == 1 {
		s.Alpha = 0
	}
	if s.Activation != "maxout" || s.K == 2 {
		s.K = 0
	}
	return s
}
