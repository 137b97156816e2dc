package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// Block is a pre-LN transformer block on sequences [N, T, E]:
//
//	h = x + drop(attn(ln1(x)))
//	y = h + drop(mlp.2(GELU(mlp.0(ln2(h)))))
//
// with attn a MultiheadAttention of Heads heads (causal for a decoder),
// mlp.0 a Linear E→Hidden and mlp.2 a Linear Hidden→E (Hidden is 4E by
// default), GELU the exact form, and drop a Dropout of the same
// probability as the attention's dropout on its weights. Its parameters
// are named so that this PyTorch module loads them with
// load_state_dict:
//
//	class Block(nn.Module):
//	    def __init__(self, E, heads, hidden, dropout=0.0):
//	        super().__init__()
//	        self.ln1 = nn.LayerNorm(E)
//	        self.attn = nn.MultiheadAttention(E, heads, dropout=dropout, batch_first=True)
//	        self.ln2 = nn.LayerNorm(E)
//	        self.mlp = nn.Sequential(nn.Linear(E, hidden), nn.GELU(), nn.Linear(hidden, E), nn.Dropout(dropout))
//	        self.drop = nn.Dropout(dropout)
//	    def forward(self, x):
//	        T = x.shape[1]
//	        mask = torch.triu(torch.full((T, T), float("-inf")), 1)
//	        h = self.ln1(x)
//	        x = x + self.drop(self.attn(h, h, h, attn_mask=mask, need_weights=False)[0])
//	        return x + self.mlp(self.ln2(x))
//
// that is ln1.weight, ln1.bias, attn.in_proj_weight, attn.in_proj_bias,
// attn.out_proj.weight, attn.out_proj.bias, ln2.weight, ln2.bias,
// mlp.0.weight, mlp.0.bias, mlp.2.weight and mlp.2.bias (for a
// non-causal block, leave out attn_mask).
type Block struct {
	Embed, Heads, Hidden int
	LN1                  *LayerNorm
	Attn                 *MultiheadAttention
	LN2                  *LayerNorm
	FC1, FC2             *Linear // mlp.0, mlp.2
	Drop                 *Dropout
}

// NewBlock returns a Float32 block of width embed with the given heads
// (which must divide it), a hidden layer of hidden units (0 means
// 4·embed), a causal or a full attention and dropout probability p. The
// layer norms start at γ = 1, β = 0; the attention is initialised as
// NewMultiheadAttention does, and the MLP's weights as PyTorch's
// nn.Linear's, U(−1/√fanIn, 1/√fanIn), with zero biases. Weights and
// dropout masks are drawn from rng.
func NewBlock(rng *rand.Rand, embed, heads, hidden int, causal bool, p float64) *Block {
	if hidden == 0 {
		hidden = 4 * embed
	}
	if hidden < 0 {
		panic(fmt.Sprintf("nn: NewBlock: hidden size %d", hidden))
	}
	b := &Block{Embed: embed, Heads: heads, Hidden: hidden,
		LN1:  NewLayerNorm([]int{embed}, true),
		Attn: NewMultiheadAttention(rng, embed, heads, causal, p),
		LN2:  NewLayerNorm([]int{embed}, true),
	}
	b.FC1 = NewLinear(rng, embed, hidden, UniformFanIn)
	b.FC2 = NewLinear(rng, hidden, embed, UniformFanIn)
	b.Drop = NewDropout(p, rng)
	return b
}

// Forward returns the block applied to x, [N, T, E].
func (b *Block) Forward(x *ag.Var) *ag.Var { return b.ForwardMask(x, nil) }

// ForwardMask is Forward with a key padding mask for the attention (see
// MultiheadAttention.ForwardMask).
func (b *Block) ForwardMask(x *ag.Var, keyPadding []bool) *ag.Var {
	b.check("Forward", x)
	h := ag.Add(x, b.Drop.Forward(b.Attn.ForwardMask(b.LN1.Forward(x), keyPadding)))
	return ag.Add(h, b.Drop.Forward(b.mlp(b.LN2.Forward(h))))
}

// ForwardCached returns the block's outputs for the new positions x,
// [N, t, E], of a sequence whose earlier positions the block has seen
// through the same cache c (see MultiheadAttention.ForwardCached): the
// causal Forward of the whole sequence at those positions, each new
// position costing its own work alone. Dropout is off.
func (b *Block) ForwardCached(x *ag.Var, c *KVCache) *ag.Var {
	b.check("ForwardCached", x)
	h := ag.Add(x, b.Attn.ForwardCached(b.LN1.Forward(x), c))
	return ag.Add(h, b.mlp(b.LN2.Forward(h)))
}

func (b *Block) mlp(x *ag.Var) *ag.Var { return b.FC2.Forward(ag.GELU(b.FC1.Forward(x), false)) }

func (b *Block) check(op string, x *ag.Var) {
	if sh := x.Shape(); len(sh) != 3 || sh[2] != b.Embed {
		panic(&tensor.Error{Op: "nn.Block." + op, Msg: fmt.Sprintf("input %v: want [N T %d]", sh, b.Embed)})
	}
}

// Parameters returns the block's parameters with PyTorch's names (see
// Block).
func (b *Block) Parameters() []Parameter {
	var ps []Parameter
	for _, sub := range []struct {
		prefix string
		m      Module
	}{{"ln1.", b.LN1}, {"attn.", b.Attn}, {"ln2.", b.LN2}, {"mlp.0.", b.FC1}, {"mlp.2.", b.FC2}} {
		for _, p := range sub.m.Parameters() {
			ps = append(ps, Parameter{Name: sub.prefix + p.Name, Var: p.Var})
		}
	}
	return ps
}

// SetShard sets the shard of the attention's and the residuals'
// dropout (see Sharder).
func (b *Block) SetShard(offset, total int) {
	b.Attn.SetShard(offset, total)
	b.Drop.SetShard(offset, total)
}

// SetTraining switches the dropouts on (training) or off.
func (b *Block) SetTraining(on bool) {
	b.Attn.SetTraining(on)
	b.Drop.SetTraining(on)
}

// A Cached module computes new positions of sequences whose earlier
// positions it has seen through the cache c, as Block and
// MultiheadAttention do (see KVCache).
type Cached interface {
	ForwardCached(x *ag.Var, c *KVCache) *ag.Var
}

// SeqCache holds the caches of a Sequential's layers for one batch of
// sequences being decoded: Layers[i] is layer i's. A zero SeqCache is
// empty; the caller owns it and passes it explicitly.
type SeqCache struct {
	Layers []KVCache
	pos    int // positions seen
}

// Reset empties the caches.
func (c *SeqCache) Reset() { c.Layers, c.pos = nil, 0 }

// ForwardCached runs the new positions x, [N, t, …], of sequences whose
// earlier positions went through s with the same cache c: the Cached
// layers (blocks) with their caches, the position layers
// (PositionalEmbedding, SinusoidalPositions) at the positions that follow
// the cached ones, every other layer by its Forward, which must treat
// each position on its own (embedding, linear, layer norm, activations;
// not flatten). For a causal network it gives at these positions what
// Forward of the whole sequences gives, each new position costing its
// own work and its attention to the cached keys.
func (s *Sequential) ForwardCached(x *ag.Var, c *SeqCache) *ag.Var {
	if len(c.Layers) == 0 {
		c.Layers = make([]KVCache, len(s.Layers))
		c.pos = 0
	}
	if len(c.Layers) != len(s.Layers) {
		panic(fmt.Sprintf("nn: Sequential.ForwardCached: a cache of %d layers for %d", len(c.Layers), len(s.Layers)))
	}
	t := x.Value.Dim(1)
	for i, l := range s.Layers {
		switch l := l.(type) {
		case Cached:
			x = l.ForwardCached(x, &c.Layers[i])
		case *PositionalEmbedding:
			x = l.ForwardAt(x, c.pos)
		case SinusoidalPositions:
			x = l.ForwardAt(x, c.pos)
		case *SinusoidalPositions:
			x = l.ForwardAt(x, c.pos)
		default:
			x = l.Forward(x)
		}
	}
	c.pos += t
	return x
}
