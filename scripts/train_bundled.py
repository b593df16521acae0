"""Train the small digits CNN shipped in designer/resources/pretrained/ on glyphs rendered with Pillow.

Usage: python scripts/train_bundled.py [--per-char 1500] [--epochs 6] [--out designer/resources/pretrained]
Writes digits_cnn.keras (weights, no optimizer state) and digits_cnn.json (metadata).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np

from designer.resources import PRETRAINED_DIR
from designer.zoo.bundled import build_digits_cnn
from designer.zoo.glyphs import DIGITS, render_dataset


def main(argv: list[str] | None = None) -> int:
    """Generate data, train, evaluate on a held-out generated set, save model and metadata."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-char", type=int, default=1500, help="training images per digit")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    t0 = time.perf_counter()
    x_train, y_train, _ = render_dataset(DIGITS, args.per_char, seed=args.seed)
    x_test, y_test, _ = render_dataset(DIGITS, 300, seed=args.seed + 1000)
    print(f"data: {len(x_train)} train, {len(x_test)} held-out ({time.perf_counter() - t0:.1f} s)")

    model = build_digits_cnn()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train, y_train, batch_size=128, epochs=args.epochs, validation_split=0.1, verbose=2
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"held-out accuracy: {accuracy:.4f} (loss {loss:.4f})")

    # Save a fresh, uncompiled copy so the file holds weights only (no optimizer state).
    clean = build_digits_cnn()
    clean.set_weights(model.get_weights())
    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / "digits_cnn.keras"
    clean.save(model_path)
    meta = {
        "name": "digits_cnn",
        "classes": list(DIGITS),
        "input_shape": [28, 28, 1],
        "input_range": "float32 in [0, 1], white glyph on black",
        "parameters": int(clean.count_params()),
        "train_images": int(len(x_train)),
        "epochs": args.epochs,
        "final_train_accuracy": float(history.history["accuracy"][-1]),
        "heldout_images": int(len(x_test)),
        "heldout_accuracy": float(accuracy),
        "heldout_loss": float(loss),
        "data": "DejaVu glyphs rendered by designer.zoo.glyphs.render_dataset "
        "(random font, rotation +-15 deg, scale, shift, Gaussian noise 0.05)",
        "command": " ".join(["python scripts/train_bundled.py", *(argv or sys.argv[1:])]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "keras_version": keras.__version__,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    (args.out / "digits_cnn.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"saved {model_path} ({model_path.stat().st_size / 1e3:.0f} kB), accuracy {accuracy:.4f}")
    return 0 if np.isfinite(loss) else 1


if __name__ == "__main__":
    raise SystemExit(main())
