import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Testing

@Suite struct CSVReaderTests {
    @Test func quotedFieldsKeepCommasQuotesAndLineBreaksAndReportTheirStartingLine() {
        // Given a file whose second record spans two lines
        let text = "a,b,c\n1,\"x, \"\"y\"\"\nz\",3\n4,5,6\n"

        // When it is parsed
        let result = CSVReader.parse(Array(text.utf8))

        // Then the fields are unescaped and each record knows its first physical line
        #expect(result.errors.isEmpty)
        #expect(
            result.records == [
                CSVRecord(fields: ["a", "b", "c"], line: 1),
                CSVRecord(fields: ["1", "x, \"y\"\nz", "3"], line: 2),
                CSVRecord(fields: ["4", "5", "6"], line: 4),
            ])
    }

    @Test func bomCRLFAndEmptyLinesAreAccepted() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,2\r\n\r\n3,\"4\"\r\n".utf8)

        let result = CSVReader.parse(bytes)

        #expect(result.errors.isEmpty)
        #expect(result.records.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(result.records.map(\.line) == [1, 2, 4])
    }

    @Test func anUnterminatedQuoteIsReportedAtTheLineItOpens() {
        let result = CSVReader.parse(Array("a,b\n1,2\n3,\"four\n5,6\n".utf8))

        #expect(
            result.errors == [
                CSVSyntaxError(line: 3, reason: "unterminated quoted field (a \" opened here is never closed)")
            ])
        #expect(result.records.map(\.line) == [1, 2])
    }

    @Test func strayQuotesAreErrorsAndLaterRowsAreStillRead() {
        let result = CSVReader.parse(Array("a,b\nx\"y,1\n\"z\"w,2\n3,4\n".utf8))

        #expect(result.errors.map(\.line) == [2, 3])
        #expect(result.records.map(\.fields) == [["a", "b"], ["3", "4"]])
    }

    @Test func aLastRecordWithoutNewlineIsRead() {
        let result = CSVReader.parse(Array("a,b\n1,".utf8))

        #expect(result.records.map(\.fields) == [["a", "b"], ["1", ""]])
    }
}
