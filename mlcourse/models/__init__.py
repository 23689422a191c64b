"""Keras 3 models shared by the deep-learning chapters, one module per family.

- `vae`: the reparameterised `Sampling` layer and the `VAE` (chapter 09);
- `cnn`: the compact CNN, the case-study network and ResNet-18 (28) (chapters 11-14);
- `efficientnet`: EfficientNet-Lite0 with offline ImageNet weights (chapter 14);
- `gan`: a backend-agnostic DCGAN and conditional GAN (chapter 15);
- `cost`: multiply-accumulates per image of a built model (chapters 13 and 20).

Everything uses `keras.layers`, `keras.ops` and `keras.random` only, so it runs unchanged on the
TensorFlow, JAX and PyTorch backends. `import mlcourse` does not import this package (it imports
Keras); use `from mlcourse import models` after `mlcourse.setup()`.
"""

from mlcourse.models.vae import VAE, Sampling, build_dense_vae, kl_divergence, summed_bce

__all__ = ["Sampling", "VAE", "kl_divergence", "summed_bce", "build_dense_vae"]
from mlcourse.models.cnn import (  # noqa: E402
    BN_MOMENTUM,
    augmentation,
    basic_block,
    case_study_cnn,
    classifier_head,
    compact_cnn,
    resnet18_28,
)

__all__ += ["BN_MOMENTUM", "augmentation", "basic_block", "case_study_cnn", "classifier_head", "compact_cnn",
            "resnet18_28"]
from mlcourse.models.efficientnet import (  # noqa: E402
    efficientnet_lite0,
    imagenet_backbone,
    input_adapter,
    preprocess,
)

__all__ += ["efficientnet_lite0", "imagenet_backbone", "input_adapter", "preprocess"]
from mlcourse.models.gan import (  # noqa: E402
    GAN,
    build_discriminator,
    build_generator,
)

__all__ += ["GAN", "build_discriminator", "build_generator"]
from mlcourse.models.cost import layer_macs, model_macs  # noqa: E402

__all__ += ["layer_macs", "model_macs"]
