import t from 'tap'
import { errorPacketText, isErrorPacket } from '../../lib/mysql.ts'

/** an error packet's payload: 0xff, the code, then `#` and the SQL state when given, then the message */
const errorPacket = (code: number, message: string, sqlState?: string) => {
  const head = Buffer.from([0xff, code & 0xff, code >> 8])
  return Buffer.concat([head, Buffer.from(sqlState === undefined ? '' : `#${sqlState}`, 'latin1'), Buffer.from(message)])
}

t.test('error packets read as the mysql client prints them, with or without the SQL state', async (t) => {
  const login = errorPacket(1045, "Access denied for user 'app'@'localhost' (using password: YES)", '28000')
  t.ok(isErrorPacket(login))
  t.equal(errorPacketText(login), "ERROR 1045 (28000): Access denied for user 'app'@'localhost' (using password: YES)")
  // before the handshake the server does not know the client speaks 4.1: no SQL state
  t.equal(errorPacketText(errorPacket(1040, 'Too many connections')), 'ERROR 1040: Too many connections')
  t.equal(errorPacketText(errorPacket(1146, "Table 'db.tï' doesn't exist", '42S02')), "ERROR 1146 (42S02): Table 'db.tï' doesn't exist", 'messages are UTF-8')
  t.notOk(isErrorPacket(Buffer.from([0x00, 0, 0, 2, 0, 0, 0])), 'an OK packet is not')
  t.notOk(isErrorPacket(Buffer.from([10, 0x35, 0])), 'a greeting is not')
})
