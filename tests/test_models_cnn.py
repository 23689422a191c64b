"""mlcourse.models.cnn: output shapes, exact parameter counts and one training step that lowers the loss."""

from __future__ import annotations

import numpy as np
import pytest

import mlcourse

mlcourse.setup(seed=0, verbose=False)

import keras  # noqa: E402

from mlcourse import models  # noqa: E402


def _trainable(model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def test_resnet18_28_has_the_pytorch_parameter_count():
    # kuangliu's CIFAR ResNet-18 (3 channels, 10 classes), the model MedMNIST trains at 28x28: 11,173,962.
    assert _trainable(models.resnet18_28((32, 32, 3), 10)) == 11_173_962


def test_resnet18_28_keeps_28x28_until_the_first_downsampling_stage():
    m = models.resnet18_28((28, 28, 1), 2)
    assert m.get_layer("stage1_block2_out").output.shape[1:] == (28, 28, 64)
    assert m.get_layer("stage4_block2_out").output.shape[1:] == (4, 4, 512)
    # identity shortcuts in stage 1, projections where the width doubles
    names = {layer.name for layer in m.layers}
    assert "stage1_block1_proj" not in names and "stage2_block1_proj" in names and "stage2_block2_proj" not in names


def test_compact_cnn_parameter_count_follows_from_its_layers():
    m = models.compact_cnn((28, 28, 1), 2, widths=(8, 16), dropout=0.0)
    conv = 9 * (1 * 8 + 8 * 8 + 8 * 16 + 16 * 16)       # 3x3 kernels, no bias
    bn = 2 * (8 + 8 + 16 + 16)                          # gamma and beta (trainable)
    dense = 16 * 2 + 2
    assert _trainable(m) == conv + bn + dense
    assert m.output.shape[1:] == (2,)


def test_case_study_cnn_has_five_report_blocks_and_a_2x2_map_at_64px():
    m = models.case_study_cnn((28, 28, 1), 2)
    assert [layer.name for layer in m.layers if layer.name.endswith("_conv")] == [f"block{i}_conv" for i in range(1, 6)]
    order = [type(m.get_layer(f"block1_{s}")).__name__ for s in ("conv", "relu", "bn", "pool", "dropout")]
    assert order == ["Conv2D", "ReLU", "BatchNormalization", "MaxPooling2D", "Dropout"]
    assert m.get_layer("block5_pool").output.shape[1:3] == (2, 2)
    with pytest.raises(ValueError, match="five blocks"):
        models.case_study_cnn(filters=(8, 16))
    with pytest.raises(ValueError, match="at least 32"):
        models.case_study_cnn(resize_to=28)


def test_multilabel_head_uses_sigmoid_and_binary_needs_two_classes():
    m = models.compact_cnn((28, 28, 3), 5, widths=(8,), task="multi-label, binary-class")
    assert m.get_layer("predictions").activation.__name__ == "sigmoid"
    with pytest.raises(ValueError, match="at least 2"):
        models.compact_cnn(num_classes=1)


@pytest.mark.parametrize("build", [
    lambda: models.compact_cnn((28, 28, 1), 2, widths=(8, 16), augment=models.augmentation(seed=0)),
    lambda: models.case_study_cnn((28, 28, 1), 2, filters=(4, 4, 8, 8, 8), resize_to=32),
    lambda: models.resnet18_28((28, 28, 1), 2, width=4),
])
def test_a_few_training_steps_lower_the_training_loss_on_a_fixed_batch(build):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(16, 28, 28, 1)).astype("float32")
    y = (np.arange(16) % 2).astype("int64")
    x[y == 1, :14] += 0.5                                 # a learnable difference between the classes
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    losses = model.fit(x, y, epochs=6, batch_size=16, verbose=0).history["loss"]   # one step per epoch
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    probs = model.predict(x, verbose=0)
    assert probs.shape == (16, 2) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_augmentation_is_identity_at_inference_and_changes_images_in_training():
    aug = models.augmentation(seed=0)
    x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype("float32")
    assert np.allclose(keras.ops.convert_to_numpy(aug(x, training=False)), x)
    assert not np.allclose(keras.ops.convert_to_numpy(aug(x, training=True)), x)
    assert "RandomFlip" not in [type(layer).__name__ for layer in aug.layers]


@pytest.mark.parametrize("build", [models.compact_cnn, models.case_study_cnn, models.resnet18_28])
def test_every_builder_uses_batch_norm_momentum_0_9_unless_told_otherwise(build):
    def momenta(model):
        return {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}

    kwargs = {"width": 4} if build is models.resnet18_28 else {}
    assert models.BN_MOMENTUM == 0.9
    assert momenta(build((28, 28, 1), 2, **kwargs)) == {0.9}
    assert momenta(build((28, 28, 1), 2, bn_momentum=0.99, **kwargs)) == {0.99}
    for bad in (1.0, -0.1, float("nan"), "0.9", True):
        with pytest.raises(ValueError, match="bn_momentum must be a number in"):
            build((28, 28, 1), 2, bn_momentum=bad, **kwargs)


def test_the_gan_generator_and_the_imagenet_backbone_builder_take_the_same_momentum():
    import inspect

    from mlcourse.models import efficientnet, gan

    g = gan.build_generator(16, width=4)
    assert {la.momentum for la in g.layers if isinstance(la, keras.layers.BatchNormalization)} == {0.9}
    for fn in (efficientnet.efficientnet_lite0, efficientnet.imagenet_backbone, gan.build_generator):
        assert inspect.signature(fn).parameters["bn_momentum"].default == models.BN_MOMENTUM
    lite = efficientnet.efficientnet_lite0((32, 32, 3), include_top=False, weights=None)
    assert {la.momentum for la in lite.layers if isinstance(la, keras.layers.BatchNormalization)} == {0.9}
