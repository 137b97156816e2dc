package nn_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/nn"
)

// Generating bytes with a small transformer: the decoder feeds the
// prompt once, then one byte at a time, each through the blocks' key/value
// caches, and Sample draws the next byte from the tempered, top-k
// softmax with an explicit source.
func ExampleDecoder() {
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := nn.MustParseArch("embed(16) posembed(32) block(2) layernorm(axes=1) linear(256)").Build([]int{32}, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := nn.NewModel(net, []int{32}, nn.Standardization{}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := nn.NewDecoder(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	prompt := "func"
	ids := make([]int, len(prompt))
	for i := range prompt {
		ids[i] = int(prompt[i])
	}
	logits := d.Feed(ids...)
	out := []byte(prompt)
	for range 8 {
		b := nn.Sample(logits, 0.8, 40, rng)
		out = append(out, byte(b))
		logits = d.Feed(b)
	}
	fmt.Println(len(logits), len(out))
	// Output: 256 12
}
