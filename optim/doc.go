// Package optim updates parameters from their gradients: SGD with momentum
// and Nesterov momentum, RMSProp, Adam and AdamW, learning-rate schedules
// and gradient clipping.
//
// An optimizer works over any []*ag.Var (it knows nothing of networks):
// after ag.Backward has filled each Var's Grad, Step updates the Values in
// place, and ZeroGrad clears the gradients for the next step. The state an
// optimizer keeps (velocities, moment estimates) is allocated once, when it
// is made, so that a step allocates nothing. Parameters whose Grad is nil
// are left as they are. Each update rule is written out in its type's
// documentation, with θ the parameter, g its gradient, η the learning rate
// and λ the weight decay; the defaults follow PyTorch.
//
// A Schedule gives the learning rate of each step; set it with SetLR
// before Step.
package optim
