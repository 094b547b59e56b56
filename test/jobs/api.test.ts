import { jobContract } from './contract'

jobContract('embedded')
