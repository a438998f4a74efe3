"""Prints every US ZIP with a centroid as tab-separated lines, in ZIP order:
zip, latitude, longitude, city, state, 1 if a STANDARD ZIP (not PO box, unique or military).

Run as a script in a child process (see geo.zip_index): the zipcodes package unpacks ~40 MB
on first use and its dicts take ~100 MB more that Python never hands back to the system; the
child pays that once and the web process keeps only the compact index it reads back."""

import sys

import zipcodes


def main() -> None:
    out = sys.stdout
    for z in sorted(zipcodes.list_all(), key=lambda z: z["zip_code"]):
        if z["lat"] and z["long"]:
            standard = "1" if z["zip_code_type"] == "STANDARD" else "0"
            out.write(f"{z['zip_code']}\t{z['lat']}\t{z['long']}\t{z['city']}\t{z['state']}\t")
            out.write(f"{standard}\n")


if __name__ == "__main__":
    main()
