/**
 * The staking contract ABI: a copy of contracts/abi/IStaking.json (the solc
 * output of contracts/IStaking.sol), kept in TypeScript so it loads without
 * JSON-module support. test/unit/staking-abi.test.ts checks that the three agree.
 */
export const STAKING_ABI = [
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      }
    ],
    "name": "CandidacyActivated",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      }
    ],
    "name": "CandidacyDeactivated",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "indexed": false,
        "internalType": "bytes32",
        "name": "pubKey",
        "type": "bytes32"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "maxStake",
        "type": "uint256"
      },
      {
        "indexed": false,
        "internalType": "uint16",
        "name": "compRateBp",
        "type": "uint16"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "selfStake",
        "type": "uint256"
      }
    ],
    "name": "CandidacyDeclared",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "maxStake",
        "type": "uint256"
      },
      {
        "indexed": false,
        "internalType": "uint16",
        "name": "compRateBp",
        "type": "uint16"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "addedSelfStake",
        "type": "uint256"
      },
      {
        "indexed": false,
        "internalType": "bool",
        "name": "verifiedCleared",
        "type": "bool"
      }
    ],
    "name": "CandidacyUpdated",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "indexed": false,
        "internalType": "bool",
        "name": "verified",
        "type": "bool"
      }
    ],
    "name": "CandidacyVerified",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "amount",
        "type": "uint256"
      },
      {
        "indexed": false,
        "internalType": "uint64",
        "name": "matureTime",
        "type": "uint64"
      }
    ],
    "name": "CandidacyWithdrawn",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "indexed": true,
        "internalType": "address",
        "name": "delegator",
        "type": "address"
      },
      {
        "indexed": false,
        "internalType": "uint16",
        "name": "compRateBp",
        "type": "uint16"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "amount",
        "type": "uint256"
      }
    ],
    "name": "CompRateSet",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "delegator",
        "type": "address"
      },
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "amount",
        "type": "uint256"
      },
      {
        "indexed": false,
        "internalType": "uint16",
        "name": "compRateBp",
        "type": "uint16"
      }
    ],
    "name": "Delegated",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "account",
        "type": "address"
      },
      {
        "indexed": false,
        "internalType": "bool",
        "name": "enterprise",
        "type": "bool"
      }
    ],
    "name": "EnterpriseSet",
    "type": "event"
  },
  {
    "anonymous": false,
    "inputs": [
      {
        "indexed": true,
        "internalType": "address",
        "name": "delegator",
        "type": "address"
      },
      {
        "indexed": true,
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "indexed": true,
        "internalType": "uint256",
        "name": "requestId",
        "type": "uint256"
      },
      {
        "indexed": false,
        "internalType": "uint256",
        "name": "amount",
        "type": "uint256"
      },
      {
        "indexed": false,
        "internalType": "uint64",
        "name": "matureTime",
        "type": "uint64"
      }
    ],
    "name": "Unstaked",
    "type": "event"
  },
  {
    "inputs": [],
    "name": "activateCandidacy",
    "outputs": [],
    "stateMutability": "nonpayable",
    "type": "function"
  },
  {
    "inputs": [],
    "name": "deactivateCandidacy",
    "outputs": [],
    "stateMutability": "nonpayable",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "bytes32",
        "name": "pubKey",
        "type": "bytes32"
      },
      {
        "internalType": "uint256",
        "name": "maxStake",
        "type": "uint256"
      },
      {
        "internalType": "uint16",
        "name": "compRateBp",
        "type": "uint16"
      },
      {
        "internalType": "string",
        "name": "description",
        "type": "string"
      }
    ],
    "name": "declareCandidacy",
    "outputs": [],
    "stateMutability": "payable",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      }
    ],
    "name": "delegate",
    "outputs": [],
    "stateMutability": "payable",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      }
    ],
    "name": "getCandidate",
    "outputs": [
      {
        "components": [
          {
            "internalType": "address",
            "name": "candidate",
            "type": "address"
          },
          {
            "internalType": "bytes32",
            "name": "pubKey",
            "type": "bytes32"
          },
          {
            "internalType": "uint256",
            "name": "maxStake",
            "type": "uint256"
          },
          {
            "internalType": "uint16",
            "name": "compRateBp",
            "type": "uint16"
          },
          {
            "internalType": "string",
            "name": "description",
            "type": "string"
          },
          {
            "internalType": "bool",
            "name": "verified",
            "type": "bool"
          },
          {
            "internalType": "uint8",
            "name": "state",
            "type": "uint8"
          },
          {
            "internalType": "uint64",
            "name": "declareHeight",
            "type": "uint64"
          },
          {
            "internalType": "uint256",
            "name": "totalStake",
            "type": "uint256"
          },
          {
            "internalType": "uint256",
            "name": "selfStake",
            "type": "uint256"
          },
          {
            "internalType": "uint256",
            "name": "waitingStake",
            "type": "uint256"
          },
          {
            "internalType": "uint256",
            "name": "votingPower",
            "type": "uint256"
          },
          {
            "internalType": "uint32",
            "name": "rank",
            "type": "uint32"
          },
          {
            "internalType": "uint32",
            "name": "missedBlocks",
            "type": "uint32"
          },
          {
            "internalType": "uint64",
            "name": "withdrawMatureTime",
            "type": "uint64"
          }
        ],
        "internalType": "struct IStaking.Candidate",
        "name": "",
        "type": "tuple"
      }
    ],
    "stateMutability": "view",
    "type": "function"
  },
  {
    "inputs": [],
    "name": "getCandidates",
    "outputs": [
      {
        "components": [
          {
            "internalType": "address",
            "name": "candidate",
            "type": "address"
          },
          {
            "internalType": "bytes32",
            "name": "pubKey",
            "type": "bytes32"
          },
          {
            "internalType": "uint256",
            "name": "maxStake",
            "type": "uint256"
          },
          {
            "internalType": "uint16",
            "name": "compRateBp",
            "type": "uint16"
          },
          {
            "internalType": "string",
            "name": "description",
            "type": "string"
          },
          {
            "internalType": "bool",
            "name": "verified",
            "type": "bool"
          },
          {
            "internalType": "uint8",
            "name": "state",
            "type": "uint8"
          },
          {
            "internalType": "uint64",
            "name": "declareHeight",
            "type": "uint64"
          },
          {
            "internalType": "uint256",
            "name": "totalStake",
            "type": "uint256"
          },
          {
            "internalType": "uint256",
            "name": "selfStake",
            "type": "uint256"
          },
          {
            "internalType": "uint256",
            "name": "waitingStake",
            "type": "uint256"
          },
          {
            "internalType": "uint256",
            "name": "votingPower",
            "type": "uint256"
          },
          {
            "internalType": "uint32",
            "name": "rank",
            "type": "uint32"
          },
          {
            "internalType": "uint32",
            "name": "missedBlocks",
            "type": "uint32"
          },
          {
            "internalType": "uint64",
            "name": "withdrawMatureTime",
            "type": "uint64"
          }
        ],
        "internalType": "struct IStaking.Candidate[]",
        "name": "",
        "type": "tuple[]"
      }
    ],
    "stateMutability": "view",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "internalType": "address",
        "name": "delegator",
        "type": "address"
      }
    ],
    "name": "getDelegation",
    "outputs": [
      {
        "components": [
          {
            "internalType": "address",
            "name": "candidate",
            "type": "address"
          },
          {
            "internalType": "address",
            "name": "delegator",
            "type": "address"
          },
          {
            "internalType": "uint256",
            "name": "amount",
            "type": "uint256"
          },
          {
            "internalType": "uint16",
            "name": "compRateBp",
            "type": "uint16"
          },
          {
            "internalType": "bool",
            "name": "self",
            "type": "bool"
          },
          {
            "internalType": "bool",
            "name": "withdrawing",
            "type": "bool"
          }
        ],
        "internalType": "struct IStaking.Delegation",
        "name": "",
        "type": "tuple"
      }
    ],
    "stateMutability": "view",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "delegator",
        "type": "address"
      }
    ],
    "name": "getDelegations",
    "outputs": [
      {
        "components": [
          {
            "internalType": "address",
            "name": "candidate",
            "type": "address"
          },
          {
            "internalType": "address",
            "name": "delegator",
            "type": "address"
          },
          {
            "internalType": "uint256",
            "name": "amount",
            "type": "uint256"
          },
          {
            "internalType": "uint16",
            "name": "compRateBp",
            "type": "uint16"
          },
          {
            "internalType": "bool",
            "name": "self",
            "type": "bool"
          },
          {
            "internalType": "bool",
            "name": "withdrawing",
            "type": "bool"
          }
        ],
        "internalType": "struct IStaking.Delegation[]",
        "name": "",
        "type": "tuple[]"
      }
    ],
    "stateMutability": "view",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "delegator",
        "type": "address"
      }
    ],
    "name": "getUnstakeRequests",
    "outputs": [
      {
        "components": [
          {
            "internalType": "uint256",
            "name": "id",
            "type": "uint256"
          },
          {
            "internalType": "address",
            "name": "candidate",
            "type": "address"
          },
          {
            "internalType": "address",
            "name": "delegator",
            "type": "address"
          },
          {
            "internalType": "uint256",
            "name": "amount",
            "type": "uint256"
          },
          {
            "internalType": "uint64",
            "name": "matureTime",
            "type": "uint64"
          },
          {
            "internalType": "uint64",
            "name": "height",
            "type": "uint64"
          }
        ],
        "internalType": "struct IStaking.UnstakeRequest[]",
        "name": "",
        "type": "tuple[]"
      }
    ],
    "stateMutability": "view",
    "type": "function"
  },
  {
    "inputs": [],
    "name": "getValidators",
    "outputs": [
      {
        "components": [
          {
            "internalType": "address",
            "name": "candidate",
            "type": "address"
          },
          {
            "internalType": "bytes32",
            "name": "pubKey",
            "type": "bytes32"
          },
          {
            "internalType": "uint32",
            "name": "rank",
            "type": "uint32"
          },
          {
            "internalType": "bool",
            "name": "backup",
            "type": "bool"
          },
          {
            "internalType": "uint256",
            "name": "totalStake",
            "type": "uint256"
          },
          {
            "internalType": "uint256",
            "name": "votingPower",
            "type": "uint256"
          },
          {
            "internalType": "uint64",
            "name": "consensusPower",
            "type": "uint64"
          },
          {
            "internalType": "bool",
            "name": "verified",
            "type": "bool"
          }
        ],
        "internalType": "struct IStaking.Validator[]",
        "name": "",
        "type": "tuple[]"
      }
    ],
    "stateMutability": "view",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "account",
        "type": "address"
      }
    ],
    "name": "isEnterprise",
    "outputs": [
      {
        "internalType": "bool",
        "name": "",
        "type": "bool"
      }
    ],
    "stateMutability": "view",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "delegator",
        "type": "address"
      },
      {
        "internalType": "uint16",
        "name": "compRateBp",
        "type": "uint16"
      }
    ],
    "name": "setCompRate",
    "outputs": [],
    "stateMutability": "nonpayable",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "account",
        "type": "address"
      },
      {
        "internalType": "bool",
        "name": "enterprise",
        "type": "bool"
      }
    ],
    "name": "setEnterprise",
    "outputs": [],
    "stateMutability": "nonpayable",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "internalType": "uint256",
        "name": "amount",
        "type": "uint256"
      }
    ],
    "name": "unstake",
    "outputs": [
      {
        "internalType": "uint256",
        "name": "requestId",
        "type": "uint256"
      }
    ],
    "stateMutability": "nonpayable",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "uint256",
        "name": "maxStake",
        "type": "uint256"
      },
      {
        "internalType": "uint16",
        "name": "compRateBp",
        "type": "uint16"
      },
      {
        "internalType": "string",
        "name": "description",
        "type": "string"
      }
    ],
    "name": "updateCandidacy",
    "outputs": [],
    "stateMutability": "payable",
    "type": "function"
  },
  {
    "inputs": [
      {
        "internalType": "address",
        "name": "candidate",
        "type": "address"
      },
      {
        "internalType": "bool",
        "name": "verified",
        "type": "bool"
      }
    ],
    "name": "verifyCandidacy",
    "outputs": [],
    "stateMutability": "nonpayable",
    "type": "function"
  },
  {
    "inputs": [],
    "name": "withdrawCandidacy",
    "outputs": [],
    "stateMutability": "nonpayable",
    "type": "function"
  }
] as const;
