package ag_test

import (
	"fmt"

	"backprop/ag"
	"backprop/tensor"
)

// An embedding looks up one row per index; its gradient adds each
// position's upstream gradient into the row it came from, so a row looked
// up twice gets two, and a row never looked up none.
func ExampleEmbedding() {
	w := ag.Param(tensor.FromSlice([]float64{0, 0, 1, 1, 2, 2}, 3, 2)) // 3 symbols, 2 values each
	y := ag.Embedding(w, []int{2, 0, 2}, 1, 3)                         // a batch of one sequence of 3
	fmt.Println(y.Shape(), y.Value.Values())
	ag.Backward(ag.Sum(y, false))
	fmt.Println(w.Grad.Values())
	// Output:
	// [1 3 2] [2 2 0 0 2 2]
	// [1 1 0 0 2 2]
}

// Cross-entropy over a sequence leaves out the positions whose target is
// the ignore index: the mean is over the two positions counted.
func ExampleSoftmaxCrossEntropyIgnore() {
	logits := ag.Param(tensor.New(tensor.Float64, 1, 3, 4)) // uniform over 4 classes
	loss := ag.SoftmaxCrossEntropyIgnore(logits, []int{1, ag.IgnoreIndex, 3}, ag.IgnoreIndex)
	ag.Backward(loss)
	fmt.Printf("loss %.4f (ln 4)\n", loss.Item())
	fmt.Println(logits.Grad.Values())
	// Output:
	// loss 1.3863 (ln 4)
	// [0.125 -0.375 0.125 0.125 0 0 0 0 0.125 0.125 0.125 -0.375]
}
