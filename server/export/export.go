// Package export writes tables for HR and finance as spreadsheets (issue 8): XLSX through
// excelize's StreamWriter and CSV in UTF-8 with a byte-order mark and CRLF line ends, the form
// Excel opens without garbling Chinese. Both write straight to an io.Writer, so an export
// streams to the client as it is produced.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Money is an amount in fen written as yuan with two decimals: a number formatted 0.00 in XLSX,
// "1234.50" in CSV.
type Money int64

// String returns the amount in yuan with two decimals ("-0.05", "1234.50").
func (m Money) String() string {
	sign, fen := "", int64(m)
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// Column is one column: its header and its width in characters (XLSX; 0 for the default).
type Column struct {
	Title string
	Width float64
}

// Table is one sheet: a name (XLSX sheet name, at most 31 characters), the columns, the rows
// (cells are string, int, int64 or Money; a string may hold line breaks) and notes, key/value
// pairs about the whole table (team, month, policy version): a second XLSX sheet NotesSheet,
// and in CSV the last rows, after a blank one.
type Table struct {
	Sheet   string
	Columns []Column
	Rows    [][]any
	Notes   [][2]string
}

// NotesSheet is the name of the XLSX sheet that holds a table's notes.
const NotesSheet = "说明"

// The content types of the two formats.
const (
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ContentTypeCSV  = "text/csv; charset=utf-8"
)

// bom is UTF-8's byte-order mark: Excel reads a CSV file as UTF-8 only when it starts with it.
const bom = "\uFEFF"

// WriteCSV writes t to w as CSV: the BOM, the header row, the rows, then a blank row and one row
// per note; CRLF line ends. Text cells that a spreadsheet would run as a formula (starting with
// = + - @, a tab or a carriage return) are written with a leading apostrophe. Errors: w's.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Title
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	record := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		record = record[:0]
		for _, cell := range row {
			record = append(record, csvCell(cell))
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	if len(t.Notes) > 0 {
		if err := cw.Write([]string{""}); err != nil {
			return err
		}
		for _, n := range t.Notes {
			if err := cw.Write([]string{csvCell(n[0]), csvCell(n[1])}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCell is a cell as CSV text.
func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case Money:
		return x.String()
	}
	return fmt.Sprint(v)
}

// WriteXLSX writes t to w as an XLSX workbook: sheet t.Sheet with a bold, frozen header row,
// money as numbers formatted 0.00 and multi-line text wrapped; then the NotesSheet. Rows go
// through excelize's StreamWriter (which spills to a temporary file beyond a few megabytes).
// Errors: excelize's or w's.
func WriteXLSX(w io.Writer, t Table) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", t.Sheet); err != nil {
		return err
	}
	styles, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := writeSheet(f, t.Sheet, t.Columns, t.Rows, styles); err != nil {
		return err
	}
	if len(t.Notes) > 0 {
		if _, err := f.NewSheet(NotesSheet); err != nil {
			return err
		}
		rows := make([][]any, len(t.Notes))
		for i, n := range t.Notes {
			rows[i] = []any{n[0], n[1]}
		}
		if err := writeSheet(f, NotesSheet, []Column{{Title: "项目", Width: 14}, {Title: "内容", Width: 40}}, rows, styles); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// styles are the cell styles of a workbook.
type styles struct{ header, money, wrap int }

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return s, err
	}
	if s.money, err = f.NewStyle(&excelize.Style{NumFmt: 2}); err != nil { // built-in 2: "0.00"
		return s, err
	}
	s.wrap, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	return s, err
}

// writeSheet streams one sheet: widths, the header row (frozen), the rows.
func writeSheet(f *excelize.File, sheet string, cols []Column, rows [][]any, st styles) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, c := range cols {
		if c.Width > 0 {
			if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
				return err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.Title}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	values := make([]any, 0, len(cols))
	for r, row := range rows {
		values = values[:0]
		for _, cell := range row {
			values = append(values, xlsxCell(cell, st))
		}
		ref, err := excelize.CoordinatesToCellName(1, r+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(ref, values); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// xlsxCell is a cell as the StreamWriter takes it.
func xlsxCell(v any, st styles) any {
	switch x := v.(type) {
	case Money:
		return excelize.Cell{StyleID: st.money, Value: float64(x) / 100}
	case string:
		if strings.Contains(x, "\n") {
			return excelize.Cell{StyleID: st.wrap, Value: x}
		}
	}
	return v
}
