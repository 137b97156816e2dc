package main

import (
	"flag"
	"fmt"
	"strings"

	"backprop/data"
	"backprop/internal/memory"
	"backprop/nn"
	"backprop/train"
)

// maxMemoryUsage documents --max-memory in the usage of every command
// that has it.
const maxMemoryUsage = `	--max-memory SIZE   refuse, before allocating, work that needs more memory
	                    than SIZE, such as 2GB, 512MiB or 1.5G (default: the
	                    memory the machine has available)
`

// memoryFlag is the value of --max-memory: a size in bytes, 0 when not
// given (the memory available).
type memoryFlag struct {
	bytes int64
	text  string
}

func (f *memoryFlag) String() string { return f.text }

func (f *memoryFlag) Set(s string) error {
	n, err := memory.ParseSize(s)
	if err != nil {
		return err
	}
	f.bytes, f.text = n, s
	return nil
}

// addMaxMemory defines --max-memory on fs.
func addMaxMemory(fs *flag.FlagSet) *memoryFlag {
	f := new(memoryFlag)
	fs.Var(f, "max-memory", "the most memory to take, such as 2GB (default: the memory available)")
	return f
}

// budget resolves the limit: --max-memory, or the memory available now.
func (f *memoryFlag) budget() memory.Budget { return memory.NewBudget(f.bytes) }

// nn returns the limit as loaders take it.
func (f *memoryFlag) nn() nn.MaxMemory { return nn.MaxMemory(f.bytes) }

// checkWidths reports a hidden width or a number of classes beyond what a
// network may have, naming the flag.
func checkWidths(name, value string, widths ...int) error {
	for _, w := range widths {
		if w > nn.MaxWidth {
			return flagError(name, value, "width %d is more than %d", w, nn.MaxWidth)
		}
	}
	return nil
}

// trainingNeed is what training spec needs, split so that a refusal can
// blame the flag whose part is the largest.
type trainingNeed struct {
	total int64 // the network, its optimizer and its activations
	step  int64 // of which what grows with the batch
}

func needToTrain(p *nn.Plan, batch, slots int) trainingNeed {
	total := train.TrainingMemory(p, batch, slots)
	return trainingNeed{total: total, step: total - min(total, train.TrainingMemory(p, 1, slots))}
}

// checkTraining weighs training the network of the plan p (called label)
// with the optimizer named opt, which
// keeps slots copies of the parameters, on batches of batch examples, and the data sets (dataNeed, described by
// dataWhat and set by dataFlag), against the budget. A refusal names the
// flag that asks the most: dataFlag where the data alone is too much,
// --batch where the activations of a batch are most of the need, and
// otherwise netFlag (--hidden, or --classes).
func checkTraining(b memory.Budget, p *nn.Plan, label, opt string, slots, batch int, netFlag, dataFlag [2]string, dataWhat string, dataNeed int64) error {
	return checkNeed(b, needToTrain(p, batch, slots), label, opt, batch, netFlag, dataFlag, dataWhat, dataNeed)
}

// needToTrainText is needToTrain for a text run (train.RunText).
func needToTrainText(p *nn.Plan, batch, slots int) trainingNeed {
	total := train.TextTrainingMemory(p, batch, slots)
	return trainingNeed{total: total, step: total - min(total, train.TextTrainingMemory(p, 1, slots))}
}

// checkNeed is checkTraining for the need of training, however worked
// out.
func checkNeed(b memory.Budget, need trainingNeed, label, opt string, batch int, netFlag, dataFlag [2]string, dataWhat string, dataNeed int64) error {
	if err := b.Check(dataWhat, dataNeed); err != nil {
		return flagError(dataFlag[0], dataFlag[1], "%v", err)
	}
	what := fmt.Sprintf("training %s with %s on batches of %d", label, opt, batch)
	blame := netFlag
	if need.step > need.total/2 {
		blame = [2]string{"batch", fmt.Sprint(batch)}
	}
	if err := b.Check(what, need.total); err != nil {
		return flagError(blame[0], blame[1], "%v", err)
	}
	if err := b.Check(what+" and "+dataWhat, memory.Add(need.total, dataNeed)); err != nil {
		return flagError(blame[0], blame[1], "%v", err)
	}
	return nil
}

// spiralNeed is the memory of the spiral sets of train: training,
// validation and test, each of points×classes examples, and the order of
// the training examples (in the loader and in a checkpoint's position).
func spiralNeed(points, classes int) int64 {
	n := memory.Mul(int64(points), int64(classes))
	return memory.Add(memory.Mul(3, data.Bytes(int(min(n, 1<<62)), 2)), memory.Mul(16, n))
}

// gemmNeed is the memory of bench gemm's product of an m×k and a k×n
// matrix in elements of size bytes: the operands, the product, the packed
// copy of B (its columns rounded up to the widest micro-kernel, 32) and a
// transposed product.
func gemmNeed(m, n, k, size int) int64 {
	m64, n64, k64 := int64(m), int64(n), int64(k)
	packed := memory.Mul(k64, memory.Add(n64, 31)/32*32)
	return memory.Mul(int64(size), memory.Add(memory.Mul(m64, k64), memory.Mul(k64, n64), memory.Mul(2, m64, n64), packed))
}

// givenFlags writes the flags of names that fs was given, in that order,
// as they were given: "--m 1 --n 1 --k 100000000".
func givenFlags(fs *flag.FlagSet, names ...string) string {
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	var parts []string
	for _, n := range names {
		if v, ok := set[n]; ok {
			parts = append(parts, "--"+n+" "+v)
		}
	}
	return strings.Join(parts, " ")
}
