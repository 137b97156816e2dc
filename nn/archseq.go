package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/internal/memory"
)

// This file holds the words of the architecture language for the inputs
// of sequence models: embed, posembed and sinpos (see the layerKinds
// table and the package documentation).

func planEmbed(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if len(in) != 1 {
		return nil, nil, nil, 0, "embed wants sequences of indices [T]"
	}
	d, v := l.get("dim").i, l.get("vocab").i
	return []int{in[0], d}, []ParamShape{{"weight", []int{v, d}}}, nil, 0, ""
}

func buildEmbed(l *archLayer, _ []int, rng *rand.Rand, _ Init) Module {
	return NewEmbedding(rng, l.get("vocab").i, l.get("dim").i)
}

// seqShapeError says what is wrong with in as the shape of a sequence of
// vectors [T D] for the layer l.
func seqShapeError(l *archLayer, in []int) string {
	if len(in) != 2 {
		return fmt.Sprintf("%s wants sequences of vectors [T D]: put embed before it", l.kind.word)
	}
	return ""
}

func planPosEmbed(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if msg := seqShapeError(l, in); msg != "" {
		return nil, nil, nil, 0, msg
	}
	c := l.get("context").i
	if in[0] > c {
		return nil, nil, nil, 0, fmt.Sprintf("%d positions, more than the context %d", in[0], c)
	}
	return []int{in[0], in[1]}, []ParamShape{{"weight", []int{c, in[1]}}}, nil, memory.Elements(in), ""
}

func buildPosEmbed(l *archLayer, in []int, rng *rand.Rand, _ Init) Module {
	return NewPositionalEmbedding(rng, l.get("context").i, in[1])
}

func planSinPos(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if msg := seqShapeError(l, in); msg != "" {
		return nil, nil, nil, 0, msg
	}
	return []int{in[0], in[1]}, nil, nil, memory.Elements(in), ""
}

// describeSeqLayer writes the sequence input layer m as words: ok is false
// for another module, and for an Embedding with a padding row, which the
// language has no word for.
func describeSeqLayer(m Module, mk func(word string) *archLayer, set func(*archLayer, string, value)) (*archLayer, bool) {
	switch m := m.(type) {
	case *Embedding:
		if m.Padded {
			return nil, false
		}
		l := mk("embed")
		set(l, "dim", integer(m.Dim))
		set(l, "vocab", integer(m.Num))
		return l, true
	case *PositionalEmbedding:
		l := mk("posembed")
		set(l, "context", integer(m.Context))
		return l, true
	case SinusoidalPositions, *SinusoidalPositions:
		return mk("sinpos"), true
	}
	return nil, false
}
