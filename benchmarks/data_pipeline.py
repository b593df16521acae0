"""Images per second of the image-folder datastore with augmentation vs plain Keras.

Baseline: keras.utils.image_dataset_from_directory followed by the same Keras augmentation
layers (mapped in parallel, prefetched). Ours: ImageFolderStore + make_training_data (tf.data).
Both read the same folder of synthetic digits (PNG, 28x28 grey), written to a temporary folder.
Runs alternate (baseline, ours, baseline, ours, ...) and each run is one full epoch.

    .venv/bin/python benchmarks/data_pipeline.py [--images 6000] [--rounds 3] [--batch 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def rss_mib() -> float:
    """Resident memory of this process in MiB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def epoch(ds: object) -> int:
    """Iterate one epoch; return the number of images seen."""
    n = 0
    for x, _ in ds:
        n += int(x.shape[0])
    return n


def main() -> None:
    """Run the benchmark and print both figures and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from designer.data.augment import AugmentConfig
    from designer.data.images import ImageFolderConfig, ImageFolderStore
    from designer.data.pipeline import make_training_data
    from designer.data.preprocess import PreprocessConfig
    from designer.data.splits import SplitConfig
    from designer.data.synthetic import write_image_folder

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_image_folder(tmp, args.images, seed=0)
        print(f"wrote {args.images} PNG images in {time.perf_counter() - t0:.1f} s")
        print(f"memory before: {rss_mib():.0f} MiB")

        def baseline() -> object:
            ds = keras.utils.image_dataset_from_directory(
                tmp,
                image_size=(28, 28),
                color_mode="grayscale",
                batch_size=args.batch,
                shuffle=True,
                seed=0,
                verbose=False,
            )
            aug = keras.Sequential(
                [
                    keras.layers.RandomRotation(15 / 360),
                    keras.layers.RandomTranslation(0.1, 0.1),
                    keras.layers.RandomZoom(0.1),
                ]
            )
            ds = ds.map(
                lambda x, y: (aug(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
            )
            return ds.prefetch(tf.data.AUTOTUNE)

        def ours() -> object:
            store = ImageFolderStore(ImageFolderConfig(tmp))
            data = make_training_data(
                store,
                SplitConfig(validation_percent=0),
                PreprocessConfig(image_size=(28, 28), channels=1, rescale="none"),
                AugmentConfig(rotation=15, translate_x=0.1, translate_y=0.1, zoom=0.1),
                batch_size=args.batch,
                backend="tf.data",
            )
            return data.train

        rates: dict[str, list[float]] = {"keras": [], "designer": []}
        setup: dict[str, list[float]] = {"keras": [], "designer": []}
        peak = 0.0
        for r in range(args.rounds):
            for name, make in (("keras", baseline), ("designer", ours)):
                t0 = time.perf_counter()
                ds = make()
                t1 = time.perf_counter()
                n = epoch(ds)
                t2 = time.perf_counter()
                rates[name].append(n / (t2 - t1))
                setup[name].append(t1 - t0)
                peak = max(peak, rss_mib())
                print(
                    f"round {r + 1} {name:8s}: {n} images, {n / (t2 - t1):8.0f} images/s "
                    f"(setup {t1 - t0:.2f} s, end-to-end {n / (t2 - t0):.0f} images/s), "
                    f"RSS {rss_mib():.0f} MiB"
                )
        keras_rate = statistics.median(rates["keras"])
        ours_rate = statistics.median(rates["designer"])
        keras_e2e = args.images / (statistics.median(setup["keras"]) + args.images / keras_rate)
        ours_e2e = args.images / (statistics.median(setup["designer"]) + args.images / ours_rate)
        print(
            f"keras image_dataset_from_directory + augmentation: {keras_rate:.0f} images/s (median)"
        )
        print(
            f"designer ImageFolderStore + augmentation:          {ours_rate:.0f} images/s (median)"
        )
        print(f"ratio designer/keras (epoch throughput): {ours_rate / keras_rate:.2f}x")
        print(f"ratio designer/keras (including setup/scan): {ours_e2e / keras_e2e:.2f}x")
        print(f"peak RSS: {peak:.0f} MiB (data on disk: {args.images} images)")


if __name__ == "__main__":
    main()
