import io

import openpyxl


def xlsx_bytes(rows, *, title="测试名额分配表", header=("序号", "单位", "拟补贴人数"), total_row=True):
    """A quota table built the way the cities build theirs: merged title, header, 合计 formula."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if total_row:
        sheet.append([None, "合计", f"=SUM(C3:C{2 + len(rows)})"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
