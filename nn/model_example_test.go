package nn_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"backprop/data/mnist"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
	"backprop/train"
)

var update = flag.Bool("update", false, "train and rewrite testdata/mnist-784-32-10.safetensors")

// exampleModel is the model file of ExampleLoad: a 784-32-10 ReLU network
// trained for one epoch on MNIST, standardisation stored.
const exampleModel = "testdata/mnist-784-32-10.safetensors"

// TestExampleModel writes the example's model file with -update, and
// checks that it is a model of MNIST's digits with their standardisation.
func TestExampleModel(t *testing.T) {
	if *update {
		tr, _, err := mnist.Load("")
		if err != nil {
			t.Fatal(err)
		}
		mean, std := tr.Stats()
		tr.Standardize(mean, std)
		rng := rand.New(rand.NewPCG(13, 7))
		m := nn.MLP(nn.Spec{Sizes: []int{784, 32, 10}}, rng)
		train.Fit(m, tr, nil, train.Config{Epochs: 1, Batch: 128, Optimizer: optim.NewAdam(nn.Vars(m), 2e-3), Rand: rng})
		os.MkdirAll("testdata", 0o755)
		if err := train.SaveModel(exampleModel, m, train.Meta{Mean: mean, Std: std, Data: train.DataInfo{Name: "mnist"}}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := nn.Load(exampleModel)
	if err != nil {
		t.Fatal(err)
	}
	if m.Inputs() != 784 || m.Classes() != 10 || m.Input.Std == 1 || m.Input.Mean == 0 {
		t.Errorf("%s: %+v", exampleModel, m.Description)
	}
}

// Loading a model file and classifying a photo of a handwritten digit:
// the model applies the standardisation stored in its file to the raw
// pixels, so the caller never has to.
func ExampleLoad() {
	m, err := nn.Load("testdata/mnist-784-32-10.safetensors")
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := mnist.ReadImageFile("../docs/digit-7.png")
	if err != nil {
		fmt.Println(err)
		return
	}
	x, err := mnist.FromImage(img) // [1, 784], pixels in [0, 1]
	if err != nil {
		fmt.Println(err)
		return
	}
	p := m.Predict(x) // softmax(network((x − mean)/std)), one row per image
	best := tensor.ArgMax(p, 1)[0]
	fmt.Printf("%s: class %s, inputs standardised with mean %.4f, std %.4f\n", m.Arch, m.Label(best), m.Input.Mean, m.Input.Std)
	// Output: {"sizes":[784,32,10],"activation":"relu"}: class 7, inputs standardised with mean 0.1307, std 0.3081
}
