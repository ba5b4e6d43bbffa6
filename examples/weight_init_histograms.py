"""Hidden-layer activation histograms for different weight initialisations (Deep Learning from Scratch, ch. 6).

1000 random inputs (standard normal, 100 features) pass through 5 layers of 100 units without
biases. With sigmoid, std 1 pushes the activations to 0 and 1 (vanishing gradients) and std 0.01
piles them at 0.5 (every unit says the same); Xavier (std 1/sqrt(n), which `nn.init.xavier_normal_`
gives for square layers) keeps them spread, also with tanh. With ReLU, std 0.01 shrinks the
activations towards 0 layer after layer, while He (std sqrt(2/n), `nn.init.kaiming_normal_`) keeps
their spread. (ReLU histograms leave out the exact zeros, about half of all values.)
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn

from _common import parse_args, pyplot, save_figure

LAYERS, UNITS, SAMPLES = 5, 100, 1000
CONFIGS = {
    "sigmoid, std 1": ("sigmoid", lambda w: nn.init.normal_(w, std=1.0)),
    "sigmoid, std 0.01": ("sigmoid", lambda w: nn.init.normal_(w, std=0.01)),
    "sigmoid, Xavier": ("sigmoid", nn.init.xavier_normal_),
    "tanh, Xavier": ("tanh", nn.init.xavier_normal_),
    "relu, std 0.01": ("relu", lambda w: nn.init.normal_(w, std=0.01)),
    "relu, Xavier": ("relu", nn.init.xavier_normal_),
    "relu, He": ("relu", lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
}


def activations(x: tg.Tensor, activation: str, init) -> list[np.ndarray]:
    """The activations of each of the LAYERS layers for inputs `x`, weights initialised by `init`."""
    outputs = []
    with tg.no_grad():
        for _ in range(LAYERS):
            layer = nn.Linear(UNITS, UNITS, bias=False)
            init(layer.weight)
            x = getattr(layer(x), activation)()
            outputs.append(x.numpy())
    return outputs


def main() -> None:
    args = parse_args("weight_init_histograms", __doc__.splitlines()[0])
    plt = pyplot()
    tg.manual_seed(args.seed)
    x = tg.randn(SAMPLES, UNITS)
    results = {name: activations(x, activation, init) for name, (activation, init) in CONFIGS.items()}

    columns = 4
    fig, axes = plt.subplots(2, columns, figsize=(15, 7.5))
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, LAYERS))
    for ax, (name, layer_outputs) in zip(axes.flat, results.items()):
        value_range = (-1, 1) if name.startswith("tanh") else (0, 1)
        relu = name.startswith("relu")
        for layer, (values, colour) in enumerate(zip(layer_outputs, colours)):
            ax.hist(values[values > 0] if relu else values.ravel(), bins=40, range=value_range,
                    histtype="step", linewidth=1.6, color=colour, label=f"layer {layer + 1}")
        ax.set_title(name + (" (values > 0 only)" if relu else ""), fontsize=12)
        ax.set_xlabel("activation value", fontsize=10)
        ax.tick_params(labelsize=9)
    for row in axes:
        row[0].set_ylabel("count", fontsize=10)
    legend_ax = axes.flat[len(results)]
    legend_ax.axis("off")
    legend_ax.legend(*axes.flat[0].get_legend_handles_labels(), loc="center", fontsize=12,
                     title=f"{SAMPLES} inputs x {UNITS} units per layer")
    fig.suptitle("activation histograms of five layers for each weight initialisation", fontsize=14)
    fig.tight_layout()
    save_figure(fig, args.out, "weight_init_histograms.png")

    for name, layer_outputs in results.items():
        spreads = " ".join(f"{values.std():.2e}" for values in layer_outputs)
        print(f"{name}: activation std per layer {spreads}")


if __name__ == "__main__":
    main()
