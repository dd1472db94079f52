package export

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestMoney(t *testing.T) {
	for fen, want := range map[Money]string{0: "0.00", 5: "0.05", -5: "-0.05", 12050: "120.50", -123456: "-1234.56"} {
		if got := fen.String(); got != want {
			t.Errorf("Money(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestWriteXLSXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	tab := Table{Sheet: "月度报销", Columns: []Column{{Title: "姓名", Width: 10}, {Title: "金额(元)"}, {Title: "说明"}},
		Rows:  [][]any{{"李师傅", Money(12050), "第一行\n第二行"}, {"=1+1", Money(-5), 7}},
		Notes: [][2]string{{"政策版本", "3"}}}
	if err := WriteXLSX(&buf, tab); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 2 || got[0] != "月度报销" || got[1] != NotesSheet {
		t.Fatalf("sheets %q", got)
	}
	cases := []struct{ sheet, cell, want string }{
		{"月度报销", "A1", "姓名"},
		{"月度报销", "A2", "李师傅"},
		{"月度报销", "B2", "120.50"},
		{"月度报销", "C2", "第一行\n第二行"},
		{"月度报销", "A3", "=1+1"}, // text, not a formula
		{"月度报销", "B3", "-0.05"},
		{"月度报销", "C3", "7"},
		{NotesSheet, "A2", "政策版本"},
		{NotesSheet, "B2", "3"},
	}
	for _, tc := range cases {
		t.Run(tc.sheet+"!"+tc.cell, func(t *testing.T) {
			got, err := f.GetCellValue(tc.sheet, tc.cell)
			if err != nil || got != tc.want {
				t.Errorf("%q (%v), want %q", got, err, tc.want)
			}
		})
	}
	if formula, _ := f.GetCellFormula("月度报销", "A3"); formula != "" {
		t.Errorf("A3 became a formula: %q", formula)
	}
	if raw, _ := f.GetCellValue("月度报销", "B2", excelize.Options{RawCellValue: true}); raw != "120.5" {
		t.Errorf("B2 is not the number 120.5: %q", raw)
	}
}

// bigTable is a month of a large company: rows reimbursement lines.
func bigTable(rows int) Table {
	t := Table{Sheet: "月度报销", Columns: make([]Column, 11), Notes: [][2]string{{"政策版本", "1"}}}
	for i := range t.Columns {
		t.Columns[i].Title = fmt.Sprintf("列%d", i)
	}
	for i := range rows {
		t.Rows = append(t.Rows, []any{"li.ming", "李师傅", "2026-10-08", "车票", "2026-10-08 ticket 票据 120.50 元",
			Money(12050 + i), "可报销", "", "R12", fmt.Sprintf("trip_logs/%08d-0000-4000-8000-000000000000", i), 1})
	}
	return t
}

func BenchmarkWriteXLSX10k(b *testing.B) {
	t := bigTable(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteXLSX(io.Discard, t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteCSV10k(b *testing.B) {
	t := bigTable(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCSV(io.Discard, t); err != nil {
			b.Fatal(err)
		}
	}
}
