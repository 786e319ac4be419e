"""A model's profile (``Executable.profile()``) as an HTML table with a bar per kernel's share.

>>> from workbench.runtime.executable import Profile, ProfileRow
>>> p = Profile([ProfileRow("fused_conv2d_add_relu", ("nn.conv2d", "add"), 2e-3, 0.8, 40.0),
...              ProfileRow("fused_add", ("add",), 5e-4, 0.2, None)], 2.5e-3)
>>> "fused_conv2d_add_relu" in profile_html(p) and "80.0%" in profile_html(p)
True
"""
from __future__ import annotations

import html

from ..errors import TypeCheckError


def profile_html(profile, max_rows: int = 40) -> str:
    """The kernels slowest first: name, time, share of the total (as a bar), GFLOPS and fused ops."""
    if not hasattr(profile, "rows") or not hasattr(profile, "total"):
        raise TypeCheckError(f"profile_html: expected an Executable profile (exe.profile(...)), "
                             f"got {type(profile).__name__}")
    cell = 'style="padding:2px 8px; text-align:{}; white-space:nowrap"'
    out = ['<table class="wbv-profile" style="border-collapse:collapse; font-family:Helvetica,Arial,sans-serif; '
           'font-size:12px">',
           "<tr>" + "".join(f'<th {cell.format(a)}>{h}</th>' for h, a in
                            (("kernel", "left"), ("time", "right"), ("share", "left"), ("GFLOPS", "right"),
                             ("ops", "left"))) + "</tr>"]
    for r in profile.rows[:max_rows]:
        bar = (f'<div style="display:inline-block; width:{max(1, round(r.share * 160))}px; height:9px; '
               f'background:#1f77b4; margin-right:6px"></div>{r.share * 100:.1f}%')
        gf = f"{r.gflops:.1f}" if r.gflops else ""
        out.append(f'<tr style="border-top:1px solid #eeeeee"><td {cell.format("left")}><code>{html.escape(r.name)}'
                   f'</code></td><td {cell.format("right")}>{r.seconds * 1e3:.3f} ms</td><td {cell.format("left")}>'
                   f'{bar}</td><td {cell.format("right")}>{gf}</td><td {cell.format("left")}>'
                   f'{html.escape(", ".join(r.ops))}</td></tr>')
    more = len(profile.rows) - max_rows
    if more > 0:
        out.append(f'<tr><td colspan="5" style="color:#8a8a8a; padding:2px 8px">… {more} more kernels</td></tr>')
    out.append(f'<tr style="border-top:2px solid #cccccc; font-weight:bold"><td {cell.format("left")}>total</td>'
               f'<td {cell.format("right")}>{profile.total * 1e3:.3f} ms</td><td colspan="3"></td></tr></table>')
    return "".join(out)
