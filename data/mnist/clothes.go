package mnist

import (
	"image"

	"backprop/tensor"
)

// ClothesThreshold is the level, as a fraction of the image's contrast,
// above which a pixel counts as part of the garment when FromClothesImage
// crops: low, as a garment's fabric is often close to its background.
const ClothesThreshold = 0.05

// FromClothesImage turns a photograph of a garment, shoe or bag into the
// input of a Fashion-MNIST model the way Fashion-MNIST made its images:
// a [1, 784] Float32 tensor in [0, 1], light on a dark background. Steps
// 1 to 3 are FromImage's (alpha composited, gray, the background found
// on the border and the image made light on dark, its contrast
// stretched); then the image is cropped to the pixels above
// ClothesThreshold, scaled so that its longer side is Side pixels
// (keeping its aspect ratio) and centred in the Side×Side field. The
// errors are FromImage's.
func FromClothesImage(img image.Image) (*tensor.Tensor, error) {
	ink, w, h, err := inkOf(img)
	if err != nil {
		return nil, err
	}
	box, ok := inkBox(ink, w, h, ClothesThreshold)
	if !ok {
		return nil, ErrNoInk
	}
	cw, ch := box.Dx(), box.Dy()
	crop := make([]float32, cw*ch)
	for y := 0; y < ch; y++ {
		copy(crop[y*cw:(y+1)*cw], ink[(box.Min.Y+y)*w+box.Min.X:])
	}
	fw, fh := fitSize(cw, ch, Side)
	patch := resample(crop, cw, ch, fw, fh)
	out := tensor.New(tensor.Float32, 1, Side*Side)
	dst := out.Float32s()
	ox, oy := (Side-fw)/2, (Side-fh)/2
	for y := 0; y < fh; y++ {
		copy(dst[(oy+y)*Side+ox:(oy+y)*Side+ox+fw], patch[y*fw:(y+1)*fw])
	}
	return out, nil
}

// FromImageFor turns img into the input of a model trained on the data
// set named dataset (as train's DataInfo names it): FromClothesImage for
// "fashion", FromImage, the digits' preprocessing, otherwise.
func FromImageFor(dataset string, img image.Image) (*tensor.Tensor, error) {
	if dataset == "fashion" {
		return FromClothesImage(img)
	}
	return FromImage(img)
}
