"""Download the data sets the site uses into the data root (needs the network).

    nox -s data

For a connected machine (a GitHub runner, a reader's laptop) before the offline test run.
"""

import io
import urllib.request
import zipfile

from torchvision import datasets

from tools.data import data_root

HYMENOPTERA = "https://download.pytorch.org/tutorial/hymenoptera_data.zip"


def main() -> None:
    root = data_root()
    for dataset in (datasets.MNIST, datasets.FashionMNIST):
        for train in (True, False):
            dataset(root, train=train, download=True)
    if not (root / "hymenoptera_data").is_dir():
        with urllib.request.urlopen(HYMENOPTERA, timeout=60) as response:
            zipfile.ZipFile(io.BytesIO(response.read())).extractall(root)
    print(f"data sets ready in {root}")


if __name__ == "__main__":
    main()
